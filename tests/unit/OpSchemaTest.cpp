//===- OpSchemaTest.cpp - the operator schema table and its parser ---------------===//
// The whole built-in table must parse and print back to the exact text torch wrote;
// single schemas check the answers passes rely on (written arguments, aliasing,
// defaults, tags); malformed schemas and tables give located errors.
// tests/torch/OpSchemaTableTest.cpp compares every entry with c10::Dispatcher.
#include "fxir/ir/OpSchema.h"

#include <cmath>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace fxir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {
// The built-in table's entry, or null (with a test failure naming the op).
const OpSchema *find(std::string_view fullName) {
  absl::StatusOr<const OpSchema *> s = OpSchemaTable::builtin().lookup(fullName);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : nullptr;
}
#define GET(var, name)                                                                   \
  const OpSchema *var##Ptr = find(name);                                                 \
  ASSERT_NE(var##Ptr, nullptr);                                                          \
  const OpSchema &var = *var##Ptr
std::string msg(const absl::Status &st) { return std::string(st.message()); }
} // namespace

TEST(OpSchemaTable, BuiltinPrintsBackEveryLineOfTheCommittedTable) {
  const OpSchemaTable &t = OpSchemaTable::builtin();
  EXPECT_EQ(t.torchVersion().rfind("2.13.0", 0), 0u) << t.torchVersion();
  std::ifstream in(FXIR_SOURCE_DIR "/ir/schemas/op_schemas.txt");
  ASSERT_TRUE(in) << "cannot read the committed table";
  std::string line;
  size_t i = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    ASSERT_LT(i, t.size());
    std::string schemaText = line.substr(0, line.find('\t'));
    EXPECT_EQ(t.all()[i].str(), schemaText);
    absl::StatusOr<OpSchema> again = parseOpSchema(t.all()[i].str());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->str(), schemaText);
    ++i;
  }
  EXPECT_EQ(i, t.size());
  EXPECT_GT(t.size(), 3000u);
}

TEST(OpSchema, IndexPutWritesSelfAndFillsAccumulate) {
  GET(s, "aten::index_put_");
  EXPECT_EQ(s.fullName(), "aten::index_put_");
  EXPECT_THAT(s.writtenArguments(), ElementsAre(0u));
  EXPECT_EQ(s.aliasedArgument(0), 0u);
  ASSERT_EQ(s.arguments.size(), 4u);
  EXPECT_EQ(s.arguments[1].type.str(), "Tensor?[]");
  EXPECT_EQ(s.arguments[1].type.kind, SchemaType::Kind::List);
  EXPECT_EQ(s.arguments[1].type.elems[0].kind, SchemaType::Kind::Optional);
  const SchemaArgument &acc = s.arguments[3];
  EXPECT_EQ(acc.name, "accumulate");
  ASSERT_TRUE(acc.defaultValue);
  EXPECT_EQ(acc.defaultValue->kind, DefaultValue::Kind::Bool);
  EXPECT_FALSE(acc.defaultValue->boolValue);
  EXPECT_TRUE(s.hasTag("inplace"));
  EXPECT_FALSE(s.hasTag("pointwise"));
  // The "default" overload and the empty overload are the same op.
  EXPECT_EQ(find("aten::index_put_.default"), &s);
}

TEST(OpSchema, AddTensorKeywordOnlyAlphaAndTags) {
  GET(s, "aten::add.Tensor");
  ASSERT_EQ(s.arguments.size(), 3u);
  EXPECT_FALSE(s.arguments[1].kwargOnly);
  EXPECT_TRUE(s.arguments[2].kwargOnly);
  EXPECT_EQ(s.arguments[2].type.kind, SchemaType::Kind::Scalar);
  EXPECT_EQ(s.arguments[2].defaultValue->kind, DefaultValue::Kind::Int);
  EXPECT_EQ(s.arguments[2].defaultValue->intValue, 1);
  EXPECT_TRUE(s.hasTag("pointwise"));
  EXPECT_TRUE(s.hasTag("core"));
  EXPECT_FALSE(s.isMutating());
  EXPECT_EQ(s.aliasedArgument(0), std::nullopt);
}

TEST(OpSchema, OutVariantWritesItsOutArgument) {
  GET(s, "aten::add.out");
  EXPECT_THAT(s.writtenArguments(), ElementsAre(3u));
  EXPECT_EQ(s.aliasedArgument(0), 3u);
  EXPECT_EQ(*s.argumentIndex("out"), 3u);
}

TEST(OpSchema, ViewsAliasWithoutWriting) {
  GET(t, "aten::transpose.int");
  EXPECT_FALSE(t.isMutating());
  EXPECT_EQ(t.aliasedArgument(0), 0u);
  // split: input annotated (a -> *), result a list of aliases.
  GET(s, "aten::split.Tensor");
  EXPECT_EQ(s.arguments[0].type.str(), "Tensor(a -> *)");
  EXPECT_THAT(s.arguments[0].type.alias->afterSets, ElementsAre("*"));
  EXPECT_EQ(s.returns[0].type.str(), "Tensor(a)[]");
  EXPECT_EQ(s.aliasedArgument(0), 0u);
  EXPECT_FALSE(s.isMutating());
}

TEST(OpSchema, WritesThroughListElements) {
  GET(s, "aten::_foreach_add_.List");
  EXPECT_THAT(s.writtenArguments(), ElementsAre(0u));
  EXPECT_EQ(s.returns.size(), 0u);
  EXPECT_TRUE(s.tupleReturn);
}

TEST(OpSchema, SizedListsAndTheirDefaults) {
  GET(s, "aten::max_pool2d");
  const SchemaArgument &stride = s.arguments[2];
  EXPECT_EQ(stride.type.str(), "int[2]");
  EXPECT_EQ(stride.type.fixedSize, 2);
  EXPECT_EQ(stride.defaultValue->kind, DefaultValue::Kind::List);
  EXPECT_TRUE(stride.defaultValue->elems.empty());
  // `int[2] padding=0`: one int stands for the whole list.
  EXPECT_EQ(s.arguments[3].defaultValue->kind, DefaultValue::Kind::Int);
  EXPECT_EQ(s.arguments[3].defaultValue->intValue, 0);
}

TEST(OpSchema, FloatStringNoneAndNegativeDefaults) {
  GET(ln, "aten::layer_norm");
  const SchemaArgument &eps = ln.arguments[*ln.argumentIndex("eps")];
  EXPECT_EQ(eps.defaultValue->kind, DefaultValue::Kind::Float);
  EXPECT_DOUBLE_EQ(eps.defaultValue->floatValue, 1e-5);
  GET(nll, "aten::nll_loss");
  EXPECT_EQ(nll.arguments[2].defaultValue->kind, DefaultValue::Kind::None);
  EXPECT_EQ(nll.arguments[4].defaultValue->intValue, -100);
  EXPECT_EQ(nll.arguments[4].type.kind, SchemaType::Kind::SymInt);
  GET(str, "aten::_test_string_default");
  EXPECT_EQ(str.arguments[1].defaultValue->kind, DefaultValue::Kind::Str);
  EXPECT_EQ(str.arguments[1].defaultValue->strValue, "\"'\\");
  EXPECT_EQ(str.arguments[1].defaultValue->text, "\"\\\"\\'\\\\\"");
}

TEST(OpSchema, NamedTupleReturns) {
  GET(s, "aten::max.dim");
  ASSERT_EQ(s.returns.size(), 2u);
  EXPECT_EQ(s.returns[0].name, "values");
  EXPECT_EQ(s.returns[1].name, "indices");
}

TEST(OpSchemaTable, UnknownOperatorNamesItAndTheTorchVersion) {
  const OpSchemaTable &t = OpSchemaTable::builtin();
  absl::StatusOr<const OpSchema *> r = t.lookup("aten::no_such_op", "default");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(msg(r.status()), HasSubstr("operator aten::no_such_op.default is not in"));
  EXPECT_THAT(msg(r.status()), HasSubstr("torch " + t.torchVersion()));
  // A real op with a wrong overload is just as unknown, and the error lists the
  // overloads that do exist.
  absl::StatusOr<const OpSchema *> w = t.lookup("aten::add.NoSuchOverload");
  EXPECT_THAT(msg(w.status()), HasSubstr("its overloads are: Scalar, Scalar_out, Tensor, out"));
}

TEST(ParseOpSchema, ErrorsGiveTheColumn) {
  auto r = parseOpSchema("aten::foo(Blah x) -> Tensor");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(msg(r.status()), HasSubstr("schema column 11: unknown type `Blah`"));
  r = parseOpSchema("aten::foo(Tensor self");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(msg(r.status()), HasSubstr("expected `,` or `)` in the argument list"));
  r = parseOpSchema("foo(Tensor self) -> Tensor");
  EXPECT_THAT(msg(r.status()), HasSubstr("expected `namespace::name`"));
  r = parseOpSchema("aten::foo(Tensor(a! self) -> Tensor");
  EXPECT_THAT(msg(r.status()), HasSubstr("expected `)` to close the alias annotation"));
  r = parseOpSchema("aten::foo(int x=1.2.3) -> Tensor");
  EXPECT_THAT(msg(r.status()), HasSubstr("malformed number default `1.2.3`"));
  r = parseOpSchema("aten::foo(Tensor x) -> Tensor trailing junk");
  EXPECT_THAT(msg(r.status()), HasSubstr("unexpected text after the returns"));
}

TEST(ParseOpSchema, VarArgsAndAliasUnions) {
  auto r = parseOpSchema("static_runtime::select_tensor(Tensor(a) a, Tensor(b) b, bool use_b) "
                         "-> Tensor(b|a)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->returns[0].type.alias->beforeSets, ElementsAre("b", "a"));
  EXPECT_EQ(r->aliasedArgument(0), 0u);
  auto v = parseOpSchema("static_runtime::VarTupleUnpack(...) -> ...");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->varArgs);
  EXPECT_TRUE(v->varRets);
  EXPECT_EQ(v->str(), "static_runtime::VarTupleUnpack(...) -> ...");
}

TEST(OpSchemaTable, MalformedTablesNameTheLine) {
  auto noHeader = OpSchemaTable::parse("aten::a(Tensor x) -> Tensor\t\tlibtorch\n", "t.txt");
  EXPECT_THAT(msg(noHeader.status()), HasSubstr("t.txt: no `# torch_version: ` header"));
  auto cols = OpSchemaTable::parse("# torch_version: 9\naten::a(Tensor x) -> Tensor\n", "t.txt");
  EXPECT_THAT(msg(cols.status()), HasSubstr("t.txt:2: expected 3 TAB-separated columns"));
  auto origin =
      OpSchemaTable::parse("# torch_version: 9\naten::a(Tensor x) -> Tensor\t\tjava\n", "t.txt");
  EXPECT_THAT(msg(origin.status()), HasSubstr("t.txt:2: origin must be libtorch, libtorch_python or python"));
  auto dup = OpSchemaTable::parse("# torch_version: 9\naten::a(Tensor x) -> Tensor\t\tlibtorch\n"
                                  "aten::a(Tensor y) -> Tensor\t\tlibtorch\n",
                                  "t.txt");
  EXPECT_THAT(msg(dup.status()), HasSubstr("t.txt:3: duplicate operator aten::a"));
  auto bad = OpSchemaTable::parse("# torch_version: 9\naten::a(Tensor x -> Tensor\t\tlibtorch\n", "t.txt");
  EXPECT_THAT(msg(bad.status()), HasSubstr("t.txt:2: schema column"));
  auto ok = OpSchemaTable::parse("# torch_version: 9\naten::a(Tensor x) -> Tensor\tcore\tlibtorch\n",
                                 "t.txt");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->torchVersion(), "9");
  EXPECT_TRUE((*(*ok)->lookup("aten::a"))->hasTag("core"));
}

TEST(ParseOpSchema, DefaultsAtTheEdges) {
  auto r = parseOpSchema("x::f(float a=-inf, float b=1e-320, str c=\"a\\nb\\101\", "
                         "int d=-5) -> Tensor");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(std::isinf(r->arguments[0].defaultValue->floatValue));
  EXPECT_LT(r->arguments[0].defaultValue->floatValue, 0);
  EXPECT_GT(r->arguments[1].defaultValue->floatValue, 0); // a denormal, not an error
  EXPECT_EQ(r->arguments[2].defaultValue->strValue, "a\nbA");
  EXPECT_EQ(r->arguments[3].defaultValue->intValue, -5);
  EXPECT_EQ(r->str(), "x::f(float a=-inf, float b=1e-320, str c=\"a\\nb\\101\", int d=-5) -> Tensor");
}

TEST(ParseOpSchema, HostileInputIsAnErrorNotACrash) {
  EXPECT_THAT(msg(parseOpSchema("x::f(int[99999999999999999999] a) -> Tensor").status()),
              HasSubstr("list size is out of range"));
  EXPECT_THAT(msg(parseOpSchema("x::f(float a=1e999) -> Tensor").status()),
              HasSubstr("malformed number default"));
  std::string deep = "x::f(int a=" + std::string(100, '[') + std::string(100, ']') + ") -> Tensor";
  EXPECT_THAT(msg(parseOpSchema(deep).status()), HasSubstr("nested too deeply"));
  std::string nested;
  for (int i = 0; i < 50; ++i)
    nested += "Dict(int, ";
  nested += "int";
  for (int i = 0; i < 50; ++i)
    nested += ")";
  EXPECT_THAT(msg(parseOpSchema("x::f(" + nested + " a) -> Tensor").status()),
              HasSubstr("type nested too deeply"));
  EXPECT_THAT(msg(parseOpSchema("x::f(str a=\"\\q\") -> Tensor").status()),
              HasSubstr("unknown escape"));
}

TEST(OpSchemaTable, LineNumbersCountBlankLinesAndCrlf) {
  auto t = OpSchemaTable::parse("# torch_version: 9\r\n\r\naten::a(Tensor x) -> Tensor\t\tlibtorch\r\n"
                                "\naten::b(Tensor x -> Tensor\t\tlibtorch\n",
                                "t.txt");
  EXPECT_THAT(msg(t.status()), HasSubstr("t.txt:5: schema column"));
  auto ok = OpSchemaTable::parse("# torch_version: 9\r\naten::a(Tensor x) -> Tensor\t\tlibtorch\r\n",
                                 "t.txt");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->torchVersion(), "9");
  EXPECT_EQ((*(*ok)->lookup("aten::a"))->origin, OpSchema::Origin::LibTorch);
}
