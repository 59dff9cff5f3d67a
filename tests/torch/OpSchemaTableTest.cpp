//===- OpSchemaTableTest.cpp - the schema table against c10::Dispatcher -----------===//
// Every operator the table says LibTorch's C++ code registers is looked up in this
// process's c10::Dispatcher and compared field by field: the printed schema, argument
// count, names, keyword-only markers, default values, alias annotations (write flag,
// before/after sets), returns. Every operator the dispatcher knows must be in the table.
// Entries registered from Python or by torch's Python extension (origin python,
// libtorch_python) do not exist in a LibTorch-only process and are skipped, counted.
#include "fxir/ir/OpSchema.h"

#include <set>
#include <sstream>

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/function_schema.h>

#include <gtest/gtest.h>

using namespace fxir;

namespace {

struct AliasSummary {
  std::set<std::string> before, after;
  bool write = false;
  bool operator==(const AliasSummary &o) const {
    return before == o.before && after == o.after && write == o.write;
  }
};

std::string show(const AliasSummary &a) {
  std::string s = a.write ? "write " : "";
  for (const auto &b : a.before)
    s += b + " ";
  s += "->";
  for (const auto &b : a.after)
    s += " " + b;
  return s;
}

void collect(const c10::AliasInfo &a, AliasSummary &out) {
  out.write |= a.isWrite();
  for (const c10::Symbol &s : a.beforeSets())
    out.before.insert(s.toUnqualString());
  for (const c10::Symbol &s : a.afterSets())
    out.after.insert(s.toUnqualString());
  for (const c10::AliasInfo &c : a.containedTypes())
    collect(c, out);
}

void collect(const SchemaType &t, AliasSummary &out) {
  if (t.alias) {
    out.write |= t.alias->isWrite;
    out.before.insert(t.alias->beforeSets.begin(), t.alias->beforeSets.end());
    for (const std::string &set : t.alias->effectiveAfterSets())
      out.after.insert(set);
  }
  for (const SchemaType &e : t.elems)
    collect(e, out);
}

AliasSummary summarize(const c10::AliasInfo *a) {
  AliasSummary s;
  if (a)
    collect(*a, s);
  return s;
}
AliasSummary summarize(const SchemaType &t) {
  AliasSummary s;
  collect(t, s);
  return s;
}

// Returns "" when fxir's parsed default means the same value as c10's.
std::string compareDefault(const DefaultValue &d, const c10::IValue &v, const SchemaType &t) {
  auto bad = [&] { return "default " + d.text + " vs c10 " + v.tagKind(); };
  auto listOf = [&](auto get, auto scalar) -> std::string {
    // `int[2] padding=0` means [0, 0]: one scalar stands for every element.
    auto values = get();
    if (d.kind == DefaultValue::Kind::List) {
      if (d.elems.size() != values.size())
        return bad();
      for (size_t i = 0; i < values.size(); ++i)
        if (scalar(d.elems[i]) != values[i])
          return bad();
      return "";
    }
    for (auto x : values)
      if (scalar(d) != x)
        return bad();
    return t.stripOptional().fixedSize == static_cast<int64_t>(values.size()) ? "" : bad();
  };
  switch (d.kind) {
  case DefaultValue::Kind::None:
    return v.isNone() ? "" : bad();
  case DefaultValue::Kind::Bool:
    return v.isBool() && v.toBool() == d.boolValue ? "" : bad();
  case DefaultValue::Kind::Str:
    return v.isString() && v.toStringRef() == d.strValue ? "" : bad();
  case DefaultValue::Kind::Ident:
    return "identifier defaults are not expected in this table: " + bad();
  case DefaultValue::Kind::Int:
  case DefaultValue::Kind::Float:
  case DefaultValue::Kind::List:
    break;
  }
  if (v.isInt())
    return d.kind == DefaultValue::Kind::Int && d.intValue == v.toInt() ? "" : bad();
  if (v.isDouble())
    return d.kind == DefaultValue::Kind::Float && d.floatValue == v.toDouble() ? "" : bad();
  if (v.isIntList())
    return listOf([&] { return v.toIntVector(); },
                  [](const DefaultValue &e) { return e.kind == DefaultValue::Kind::Int
                                                         ? e.intValue : INT64_MIN; });
  if (v.isDoubleList())
    return listOf([&] { return v.toDoubleVector(); },
                  [](const DefaultValue &e) { return e.kind == DefaultValue::Kind::Float
                                                         ? e.floatValue : -1e300; });
  if (v.isBoolList())
    return listOf([&] { return v.toBoolList().vec(); },
                  [](const DefaultValue &e) { return e.boolValue; });
  if (v.isList() && v.toListRef().empty())
    return d.kind == DefaultValue::Kind::List && d.elems.empty() ? "" : bad();
  return bad();
}

// All differences between one table entry and c10's schema, "" when none.
std::string compare(const OpSchema &ours, const c10::FunctionSchema &theirs) {
  std::ostringstream printed;
  printed << theirs;
  if (printed.str() != ours.str())
    return "printed schema differs:\n  c10:  " + printed.str() + "\n  fxir: " + ours.str();
  const auto &args = theirs.arguments();
  if (args.size() != ours.arguments.size())
    return "argument count differs";
  for (size_t i = 0; i < args.size(); ++i) {
    const SchemaArgument &a = ours.arguments[i];
    std::string where = "argument " + a.name + ": ";
    if (args[i].name() != a.name)
      return where + "name differs from c10's " + args[i].name();
    if (args[i].kwarg_only() != a.kwargOnly)
      return where + "keyword-only differs";
    if (args[i].default_value().has_value() != a.defaultValue.has_value())
      return where + "presence of a default differs";
    if (a.defaultValue) {
      std::string d = compareDefault(*a.defaultValue, *args[i].default_value(), a.type);
      if (!d.empty())
        return where + d;
    }
    AliasSummary c = summarize(args[i].alias_info()), f = summarize(a.type);
    if (!(c == f))
      return where + "alias differs: c10 " + show(c) + ", fxir " + show(f);
  }
  const auto &rets = theirs.returns();
  if (rets.size() != ours.returns.size())
    return "return count differs";
  for (size_t i = 0; i < rets.size(); ++i) {
    AliasSummary c = summarize(rets[i].alias_info()), f = summarize(ours.returns[i].type);
    if (!(c == f))
      return "return " + std::to_string(i) + " alias differs: c10 " + show(c) + ", fxir " +
             show(f);
    if (rets[i].name() != ours.returns[i].name)
      return "return " + std::to_string(i) + " name differs";
  }
  if (theirs.is_vararg() != ours.varArgs || theirs.is_varret() != ours.varRets)
    return "vararg/varret differs";
  // Written arguments as c10 sees them.
  std::set<unsigned> c10Written, ours2;
  for (size_t i = 0; i < args.size(); ++i)
    if (summarize(args[i].alias_info()).write)
      c10Written.insert(i);
  for (unsigned i : ours.writtenArguments())
    ours2.insert(i);
  if (c10Written != ours2)
    return "written arguments differ";
  return "";
}
} // namespace

TEST(OpSchemaTable, EveryCppEntryMatchesTheDispatcher) {
  const OpSchemaTable &table = OpSchemaTable::builtin();
  c10::Dispatcher &d = c10::Dispatcher::singleton();
  size_t compared = 0, python = 0, failures = 0;
  for (const OpSchema &s : table.all()) {
    if (s.origin != OpSchema::Origin::LibTorch) {
      ++python;
      continue;
    }
    std::optional<c10::OperatorHandle> h =
        d.findSchema(c10::OperatorName(s.qualifiedName(), s.overload));
    if (!h || !h->hasSchema()) {
      ADD_FAILURE() << s.fullName() << ": in the table as registered by LibTorch, but not "
                                        "in this process's c10::Dispatcher";
      ++failures;
      continue;
    }
    std::string diff = compare(s, h->schema());
    if (!diff.empty()) {
      ADD_FAILURE() << s.fullName() << ": " << diff;
      ++failures;
    }
    ++compared;
  }
  std::cout << "compared " << compared << " C++ operators with c10::Dispatcher; skipped "
            << python << " registered from Python or torch's Python extension\n";
  EXPECT_GT(compared, 3000u);
  EXPECT_EQ(failures, 0u);
}

TEST(OpSchemaTable, EveryDispatcherOperatorIsInTheTable) {
  const OpSchemaTable &table = OpSchemaTable::builtin();
  size_t n = 0;
  for (const c10::OperatorName &name : c10::Dispatcher::singleton().getAllOpNames()) {
    std::optional<c10::OperatorHandle> h = c10::Dispatcher::singleton().findSchema(name);
    if (!h || !h->hasSchema())
      continue; // a kernel registered without a schema (def elsewhere)
    ++n;
    absl::StatusOr<const OpSchema *> s = table.lookup(name.name, name.overload_name);
    EXPECT_TRUE(s.ok()) << c10::toString(name)
                        << " is registered in LibTorch but missing from the table";
    // ...and the table must say so, or the comparison above would skip it.
    if (s.ok())
      EXPECT_EQ((*s)->origin, OpSchema::Origin::LibTorch)
          << c10::toString(name) << " is registered in LibTorch but the table's origin "
                                    "column says otherwise";
  }
  EXPECT_GT(n, 3000u);
}
