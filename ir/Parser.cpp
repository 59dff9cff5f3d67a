//===- Parser.cpp - fxir text in -----------------------------------------------===//
//
// The parser half of TextFormat.h (grammar in docs/ir.md), over the tokens of
// TextLexer.h. Errors read `file:line:col: error: message`.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/TextLexer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace fxir {

namespace {

using text::Lexer;
using text::Tok;
using text::Token;

//===----------------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------------===//

class ParseError {};

class Parser {
public:
  Parser(Context &ctx, llvm::StringRef text, llvm::StringRef fileName)
      : ctx_(ctx), lex_(text), file_(ctx.intern(fileName)) {}

  absl::StatusOr<std::unique_ptr<Graph>> parse() {
    try {
      advance(); // the first token can already be an error
      return parseFile();
    } catch (const ParseError &) {
      return absl::InvalidArgumentError(error_);
    }
  }

private:
  Context &ctx_;
  Lexer lex_;
  llvm::StringRef file_;
  Token tok_;
  std::string error_;
  // The value a visible name is bound to, by the name's dense index (Name::index), so
  // binding and looking up cost no hash table beyond interning. Names defined per open
  // region, to unbind when the region ends.
  std::vector<Value *> bindings_;
  std::vector<std::vector<Name>> scopes_{1};
  llvm::StringMap<const Type *> typeCache_;

  void define(Name name, Value *v) {
    if (name.index() >= bindings_.size())
      bindings_.resize(std::max<size_t>(ctx_.numInternedStrings(), 2 * bindings_.size()));
    bindings_[name.index()] = v;
    scopes_.back().push_back(name);
  }
  Value *bound(Name name) const {
    return name.index() < bindings_.size() ? bindings_[name.index()] : nullptr;
  }
  void closeScope() {
    for (Name n : scopes_.back())
      bindings_[n.index()] = nullptr;
    scopes_.pop_back();
  }

  // Ops whose provenance comes from the `#N = prov(...)` table, resolved at the end.
  std::vector<std::pair<Op *, std::pair<unsigned, const char *>>> pendingLocs_;

  // ---- helpers ----
  std::pair<unsigned, unsigned> lineCol(const char *loc) const {
    llvm::StringRef buf = lex_.buffer();
    unsigned line = 1, col = 1;
    for (const char *p = buf.begin(); p < loc && p < buf.end(); ++p) {
      if (*p == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return {line, col};
  }

  [[noreturn]] void failAt(const char *loc, const std::string &msg) {
    auto [line, col] = lineCol(loc);
    error_ = file_.str() + ":" + std::to_string(line) + ":" + std::to_string(col) +
             ": error: " + msg;
    throw ParseError();
  }
  [[noreturn]] void fail(const std::string &msg) { failAt(tok_.loc, msg); }

  void advance() {
    tok_ = lex_.next();
    if (tok_.kind == Tok::Error)
      fail(lex_.error());
  }
  bool is(Tok k) const { return tok_.kind == k; }
  bool isIdent(llvm::StringRef s) const { return tok_.kind == Tok::Ident && tok_.text == s; }
  bool consume(Tok k) {
    if (!is(k))
      return false;
    advance();
    return true;
  }
  bool consumeIdent(llvm::StringRef s) {
    if (!isIdent(s))
      return false;
    advance();
    return true;
  }
  void expect(Tok k, const char *what) {
    if (!consume(k))
      fail(std::string("expected ") + what);
  }
  std::string describe() const {
    switch (tok_.kind) {
    case Tok::Eof: return "end of input";
    case Tok::String: return "a string";
    default: return "`" + tok_.text.str() + "`";
    }
  }

  // The Int token after a consumed `-`, negated (so INT64_MIN reads back).
  int64_t parseNegatedIntToken() {
    std::string text = "-" + tok_.text.str();
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size())
      fail("integer `" + text + "` is out of range");
    advance();
    return v;
  }

  int64_t parseIntToken() {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(tok_.text.begin(), tok_.text.end(), v);
    if (ec != std::errc() || ptr != tok_.text.end())
      fail("integer `" + tok_.text.str() + "` is out of range");
    advance();
    return v;
  }

  // ---- file ----
  std::unique_ptr<Graph> parseFile() {
    while (isIdent("sym"))
      parseSymbolDecl();
    if (!isIdent("graph"))
      fail("expected `sym` or `graph`, found " + describe());
    advance();
    if (!is(Tok::AtName))
      fail("expected the graph name `@name`");
    auto g = std::make_unique<Graph>(ctx_, tok_.text);
    advance();
    parseSignature(*g);
    expect(Tok::LBrace, "`{` to open the graph body");
    parseOps(g->body(), *g);
    llvm::DenseMap<unsigned, const char *> provLocs;
    std::unordered_map<unsigned, Provenance> raw;
    while (is(Tok::Hash))
      parseProvDef(raw, provLocs);
    if (!is(Tok::Eof))
      fail("expected `#N = prov(...)` or the end of input, found " + describe());
    resolveProvenance(raw, provLocs);
    return g;
  }

  void parseSymbolDecl() {
    advance(); // sym
    if (!is(Tok::Ident))
      fail("expected a symbol name after `sym`");
    const char *loc = tok_.loc;
    llvm::StringRef name = tok_.text;
    advance();
    expect(Tok::Colon, "`:` after the symbol name");
    expect(Tok::LBracket, "`[` to open the symbol's range");
    std::optional<int64_t> lo = parseBound(true), hi;
    expect(Tok::Comma, "`,` in the symbol's range");
    hi = parseBound(false);
    expect(Tok::RBracket, "`]` to close the symbol's range");
    std::optional<int64_t> hint;
    bool unbacked = false;
    if (consumeIdent("hint")) {
      bool neg = consume(Tok::Minus);
      if (!is(Tok::Int))
        fail("expected an integer hint");
      hint = neg ? parseNegatedIntToken() : parseIntToken();
    }
    if (consumeIdent("unbacked"))
      unbacked = true;
    absl::StatusOr<const Symbol *> s = ctx_.declareSymbol(name, lo, hi, hint, unbacked);
    if (!s.ok())
      failAt(loc, std::string(s.status().message()));
  }

  std::optional<int64_t> parseBound(bool lower) {
    bool neg = consume(Tok::Minus);
    if (consumeIdent("inf")) {
      if (lower != neg)
        fail(lower ? "a lower bound can only be `-inf` or an integer"
                   : "an upper bound can only be `inf` or an integer");
      return std::nullopt;
    }
    if (!is(Tok::Int))
      fail("expected an integer or `inf` in the symbol's range");
    return neg ? parseNegatedIntToken() : parseIntToken();
  }

  void parseSignature(Graph &g) {
    expect(Tok::LParen, "`(` to open the graph inputs");
    if (!consume(Tok::RParen)) {
      do {
        Value *v = parseValueDef(
            [&](const Type *t, Name name) { return g.body().addArg(t, name); });
        InputSpec spec;
        if (!is(Tok::Ident))
          fail("expected the input's kind (input, param, buffer, constant, ...)");
        llvm::StringRef kind = tok_.text;
        const char *kindLoc = tok_.loc;
        advance();
        bool found = false;
        for (auto k : {InputSpec::Kind::UserInput, InputSpec::Kind::Parameter,
                       InputSpec::Kind::Buffer, InputSpec::Kind::TensorConstant,
                       InputSpec::Kind::CustomObj, InputSpec::Kind::Token,
                       InputSpec::Kind::ConstantInput})
          if (inputKindName(k) == kind) {
            spec.kind = k;
            found = true;
          }
        if (!found)
          failAt(kindLoc, "unknown input kind `" + kind.str() + "`");
        if (is(Tok::String)) {
          spec.target = ctx_.intern(tok_.strValue);
          advance();
        }
        if (consumeIdent("non_persistent")) {
          if (spec.kind != InputSpec::Kind::Buffer)
            fail("only a buffer can be `non_persistent`");
          spec.persistent = false;
        }
        if (consumeIdent("shares")) {
          if (spec.kind != InputSpec::Kind::TensorConstant)
            fail("only a constant `shares` another tensor's storage");
          if (!is(Tok::String))
            fail("expected the FQN of the buffer or parameter after `shares`");
          spec.shares = ctx_.intern(tok_.strValue);
          advance();
          if (consumeIdent("at")) {
            if (!is(Tok::Int))
              fail("expected the storage offset after `at`");
            spec.sharesAt = parseIntToken();
            if (*spec.sharesAt < 0)
              fail("a storage offset is not negative");
          }
        }
        if (consume(Tok::Equal)) {
          if (spec.kind != InputSpec::Kind::ConstantInput)
            fail("only a constant_input has a value");
          llvm::SmallVector<Value *, 1> noOperands;
          unsigned maxRegion = 0;
          bool anyRegion = false;
          Attr value = parseAttr(noOperands, maxRegion, anyRegion);
          if (!noOperands.empty() || anyRegion ||
              (value.kind() != Attr::Kind::Int && value.kind() != Attr::Kind::Float &&
               value.kind() != Attr::Kind::Bool && value.kind() != Attr::Kind::Str &&
               value.kind() != Attr::Kind::None))
            fail("a constant_input's value must be an int, float, bool, string or none");
          spec.value = value;
        }
        (void)v;
        g.inputSpecs().push_back(spec);
      } while (consume(Tok::Comma));
      expect(Tok::RParen, "`,` or `)` after a graph input");
    }
    expect(Tok::Arrow, "`->` before the graph outputs");
    expect(Tok::LParen, "`(` to open the graph outputs");
    if (!consume(Tok::RParen)) {
      do {
        if (!is(Tok::Ident))
          fail("expected an output kind (output, buffer_mutation, ...)");
        OutputSpec spec;
        bool found = false;
        for (auto k : {OutputSpec::Kind::UserOutput, OutputSpec::Kind::LossOutput,
                       OutputSpec::Kind::BufferMutation, OutputSpec::Kind::UserInputMutation,
                       OutputSpec::Kind::ParameterMutation,
                       OutputSpec::Kind::GradientToParameter,
                       OutputSpec::Kind::GradientToUserInput, OutputSpec::Kind::Token})
          if (outputKindName(k) == tok_.text) {
            spec.kind = k;
            found = true;
          }
        if (!found)
          fail("unknown output kind `" + tok_.text.str() + "`");
        advance();
        if (is(Tok::String)) {
          spec.target = ctx_.intern(tok_.strValue);
          advance();
        }
        g.outputSpecs().push_back(spec);
      } while (consume(Tok::Comma));
      expect(Tok::RParen, "`,` or `)` after a graph output");
    }
  }

  // `%name: type`, defined through `make`.
  template <typename F> Value *parseValueDef(F make) {
    if (!is(Tok::Value))
      fail("expected a value name `%name`, found " + describe());
    const char *loc = tok_.loc;
    Name name = ctx_.name(tok_.text);
    advance();
    expect(Tok::Colon, "`:` and a type after the value name");
    const Type *t = parseType();
    if (bound(name))
      failAt(loc, "value %" + name.str().str() + " is defined twice");
    Value *v = make(t, name);
    define(name, v);
    return v;
  }

  // ---- types ----
  // The text of a tensor type starting at `p` (`f32[s0, 8]{8, 1}@cuda:0`), found by
  // scanning characters; empty if it is not that shape or crosses a line.
  llvm::StringRef tensorTypeSpan(const char *p) const {
    const char *end = lex_.buffer().end(), *q = p;
    auto scanTo = [&](char close) {
      while (q != end && *q != close && *q != '\n')
        ++q;
      if (q == end || *q != close)
        return false;
      ++q;
      return true;
    };
    while (q != end && (std::isalnum(static_cast<unsigned char>(*q)) || *q == '_'))
      ++q;
    if (q == end || *q != '[' || !scanTo(']'))
      return {};
    if (q != end && *q == '{' && !scanTo('}'))
      return {};
    if (q != end && *q == '@') {
      ++q;
      while (q != end && (std::isalnum(static_cast<unsigned char>(*q)) || *q == '_' ||
                          *q == ':' || *q == '.'))
        ++q;
    }
    return llvm::StringRef(p, q - p);
  }

  // Types repeat on almost every line: parse each distinct text once.
  const Type *parseType() {
    llvm::StringRef span = is(Tok::Ident) ? tensorTypeSpan(tok_.loc) : llvm::StringRef();
    if (!span.empty()) {
      auto it = typeCache_.find(span);
      if (it != typeCache_.end()) {
        lex_.resetTo(span.end());
        advance();
        return it->second;
      }
    }
    const Type *t = parseTypeUncached();
    // Cache only when the parse consumed exactly the span.
    if (!span.empty() && tok_.loc >= span.end() &&
        llvm::StringRef(span.end(), tok_.loc - span.end()).trim().empty())
      typeCache_[span] = t;
    return t;
  }

  const Type *parseTypeUncached() {
    if (!is(Tok::Ident))
      fail("expected a type, found " + describe());
    llvm::StringRef word = tok_.text;
    const char *loc = tok_.loc;
    // `bool` is both a dtype and a scalar type: a tensor only when `[` follows.
    bool bracketNext = tok_.text.end() != lex_.buffer().end() && *tok_.text.end() == '[';
    std::optional<DType> dt = dtypeFromIrName(word);
    if (dt && (bracketNext || word != "bool")) {
      advance();
      expect(Tok::LBracket, "`[` and the tensor's shape after the dtype");
      llvm::SmallVector<const SymExpr *, 6> shape, strides;
      if (!consume(Tok::RBracket)) {
        do
          shape.push_back(parseSymExpr());
        while (consume(Tok::Comma));
        expect(Tok::RBracket, "`,` or `]` in the tensor's shape");
      }
      bool unknownLayout = false;
      if (consume(Tok::LBrace)) {
        if (consume(Tok::Question)) { // `{?}`: the layout is not known
          unknownLayout = true;
          expect(Tok::RBrace, "`}` after `{?` (an unknown layout)");
        } else {
          do
            strides.push_back(parseSymExpr());
          while (consume(Tok::Comma));
          expect(Tok::RBrace, "`,` or `}` in the tensor's strides");
          if (strides.size() != shape.size())
            failAt(loc, "tensor type has " + std::to_string(shape.size()) + " dims but " +
                            std::to_string(strides.size()) + " strides");
        }
      }
      llvm::StringRef device = "cpu";
      if (is(Tok::AtName)) {
        device = tok_.text;
        advance();
      }
      if (unknownLayout)
        return ctx_.tensorTypeWithUnknownLayout(*dt, shape, device);
      return ctx_.tensorType(*dt, shape, strides, device);
    }
    advance();
    if (word == "int") return ctx_.intType();
    if (word == "float") return ctx_.floatType();
    if (word == "bool") return ctx_.boolType();
    if (word == "str") return ctx_.strType();
    if (word == "none") return ctx_.noneType();
    if (word == "device") return ctx_.deviceType();
    if (word == "token") return ctx_.tokenType();
    if (word == "symfloat") return ctx_.symFloatType();
    if (word == "symbool") return ctx_.symBoolType();
    if (word == "symint") {
      if (!consume(Tok::LAngle))
        return ctx_.symIntType(nullptr);
      const SymExpr *e = parseSymExpr();
      expect(Tok::RAngle, "`>` after the symint's expression");
      return ctx_.symIntType(e);
    }
    if (word == "list" || word == "optional") {
      expect(Tok::LAngle, "`<` and an element type");
      const Type *elem = parseType();
      expect(Tok::RAngle, "`>` after the element type");
      return word == "list" ? ctx_.listType(elem) : ctx_.optionalType(elem);
    }
    if (word == "object") {
      expect(Tok::LAngle, "`<` and a class name");
      if (!is(Tok::String))
        fail("expected the class name as a string");
      std::string name = tok_.strValue;
      advance();
      expect(Tok::RAngle, "`>` after the class name");
      return ctx_.objectType(name);
    }
    failAt(loc, "unknown type `" + word.str() + "`");
  }

  // ---- symbolic expressions: sum := term (('+'|'-') term)* ----
  const SymExpr *parseSymExpr() {
    const SymExpr *acc = parseSymTerm();
    while (true) {
      if (consume(Tok::Plus))
        acc = ctx_.add(acc, parseSymTerm());
      else if (consume(Tok::Minus))
        acc = ctx_.sub(acc, parseSymTerm());
      else
        return acc;
    }
  }
  const SymExpr *parseSymTerm() {
    const SymExpr *acc = parseSymUnary();
    while (consume(Tok::Star))
      acc = ctx_.mul(acc, parseSymUnary());
    return acc;
  }
  const SymExpr *parseSymUnary() {
    if (consume(Tok::Minus)) {
      if (is(Tok::Int))
        return ctx_.constant(parseNegatedIntToken());
      return ctx_.mul(ctx_.constant(-1), parseSymUnary());
    }
    if (is(Tok::Int))
      return ctx_.constant(parseIntToken());
    if (consume(Tok::LParen)) {
      const SymExpr *e = parseSymExpr();
      expect(Tok::RParen, "`)` in a symbolic expression");
      return e;
    }
    if (!is(Tok::Ident))
      fail("expected a symbolic expression, found " + describe());
    llvm::StringRef name = tok_.text;
    const char *loc = tok_.loc;
    advance();
    if (consume(Tok::LParen)) {
      llvm::SmallVector<const SymExpr *, 4> ops;
      if (!consume(Tok::RParen)) {
        do
          ops.push_back(parseSymExpr());
        while (consume(Tok::Comma));
        expect(Tok::RParen, "`,` or `)` in a symbolic function call");
      }
      (void)loc;
      return ctx_.call(name, ops);
    }
    const Symbol *s = ctx_.lookupSymbol(name);
    if (!s)
      failAt(loc, "undeclared symbol `" + name.str() + "` (declare it with `sym " +
                      name.str() + " : [min, max]`)");
    return ctx_.sym(s);
  }

  // ---- ops ----
  void parseOps(Region &r, Graph &g) {
    while (!consume(Tok::RBrace)) {
      if (is(Tok::Eof))
        fail("expected `}` to close the region");
      parseOp(r, g);
    }
  }

  struct PendingResult {
    Name name;
    const Type *type;
    const char *loc;
  };

  void parseOp(Region &r, Graph &g) {
    unsigned opLine = tok_.line, opCol = tok_.col;
    llvm::SmallVector<PendingResult, 2> results;
    if (is(Tok::Value)) {
      do {
        if (!is(Tok::Value))
          fail("expected a result name `%name`");
        PendingResult pr{ctx_.name(tok_.text), nullptr, tok_.loc};
        advance();
        expect(Tok::Colon, "`:` and a type after the result name");
        pr.type = parseType();
        results.push_back(pr);
      } while (consume(Tok::Comma));
      expect(Tok::Equal, "`=` after the results");
    }
    if (!is(Tok::Ident))
      fail("expected an op name, found " + describe());
    llvm::StringRef opName = tok_.text;
    const char *nameLoc = tok_.loc;
    advance();
    expect(Tok::LParen, "`(` to open the op's arguments");
    llvm::SmallVector<Value *, 4> operands;
    llvm::SmallVector<Arg, 4> args;
    unsigned maxRegionRef = 0;
    bool anyRegionRef = false;
    if (!consume(Tok::RParen)) {
      do {
        Arg a;
        if (is(Tok::Ident)) {
          // `name=value` or a bare identifier value (dtype, layout, none, true, ...).
          Token save = tok_;
          Lexer lexSave = lex_;
          advance();
          if (consume(Tok::Equal)) {
            a.name = ctx_.intern(save.text);
          } else {
            tok_ = save; // not a keyword: back up and read the identifier as a value
            lex_ = lexSave;
            a.value = parseIdentAttr();
            args.push_back(a);
            continue;
          }
        }
        a.value = parseAttr(operands, maxRegionRef, anyRegionRef);
        args.push_back(a);
      } while (consume(Tok::Comma));
      expect(Tok::RParen, "`,` or `)` after an argument");
    }
    // Regions: ^0(...) { ... } ^1(...) { ... }. An op's region count is fixed when it is
    // created, so regions are parsed into holders first and then moved into the op.
    llvm::SmallVector<const Type *, 2> types;
    for (auto &pr : results)
      types.push_back(pr.type);
    unsigned numRegions = 0;
    std::vector<std::unique_ptr<Region>> parsed;
    while (is(Tok::Caret)) {
      unsigned idx = 0;
      if (!llvm::to_integer(tok_.text, idx, 10) || idx != numRegions)
        fail("expected region ^" + std::to_string(numRegions) + " here");
      advance();
      auto reg = std::make_unique<Region>(nullptr);
      // Names defined in the region are visible only inside it: sibling regions may
      // reuse them (torch.export's cond branches both name their input arg0_1).
      scopes_.emplace_back();
      expect(Tok::LParen, "`(` to open the region's arguments");
      if (!consume(Tok::RParen)) {
        do
          parseValueDef([&](const Type *t, Name name) { return reg->addArg(t, name); });
        while (consume(Tok::Comma));
        expect(Tok::RParen, "`,` or `)` after a region argument");
      }
      expect(Tok::LBrace, "`{` to open the region");
      parseOps(*reg, g);
      closeScope();
      parsed.push_back(std::move(reg));
      ++numRegions;
    }
    if (anyRegionRef && maxRegionRef >= numRegions)
      failAt(nameLoc, "argument refers to region ^" + std::to_string(maxRegionRef) +
                          " but the op has " + std::to_string(numRegions) + " region(s)");
    const Provenance *prov =
        textProvenance(opLine, opCol, results.empty() ? llvm::StringRef() : results[0].name.str());
    Op *op = Op::create(ctx_, opName, operands, args, types, numRegions, prov);
    for (unsigned i = 0; i < numRegions; ++i)
      adoptRegion(op->region(i), *parsed[i]);
    r.push_back(op);
    for (unsigned i = 0; i < results.size(); ++i) {
      if (bound(results[i].name))
        failAt(results[i].loc, "value %" + results[i].name.str().str() + " is defined twice");
      op->result(i)->setName(results[i].name);
      define(results[i].name, op->result(i));
    }
    if (isIdent("loc")) {
      advance();
      if (!is(Tok::Hash))
        fail("expected `#N` after `loc`");
      unsigned id = 0;
      if (!llvm::to_integer(tok_.text, id, 10))
        fail("expected a provenance number `#N`");
      pendingLocs_.push_back({op, {id, tok_.loc}});
      advance();
    }
  }

  // Moves the ops and arguments parsed into `from` into the op's region `to`.
  void adoptRegion(Region &to, Region &from) {
    for (unsigned i = 0; i < from.numArgs(); ++i) {
      Value *old = from.arg(i);
      Value *nv = to.addArg(old->type(), old->nameRef());
      old->replaceAllUsesWith(nv);
    }
    while (!from.empty()) {
      Op *op = &from.ops().front();
      from.remove(op);
      to.push_back(op);
    }
  }

  const Provenance *textProvenance(unsigned line, unsigned col, llvm::StringRef node) {
    Provenance p;
    p.nodeName = node;
    p.source.file = file_;
    p.source.line = line;
    p.source.col = col;
    return ctx_.provenance(p);
  }

  Attr parseIdentAttr() {
    llvm::StringRef w = tok_.text;
    const char *loc = tok_.loc;
    advance();
    if (w == "none") return Attr::none();
    if (w == "true") return Attr::boolean(true);
    if (w == "false") return Attr::boolean(false);
    if (w == "inf") return Attr::floating(INFINITY);
    if (w == "nan") return Attr::floating(NAN);
    if (std::optional<DType> dt = dtypeFromIrName(w)) return Attr::dtype(*dt);
    if (Attr::isLayoutName(w)) return Attr::layout(ctx_.intern(w));
    if (Attr::isMemoryFormatName(w)) return Attr::memoryFormat(ctx_.intern(w));
    if (w == "device") {
      expect(Tok::LParen, "`(` after `device`");
      if (!is(Tok::String))
        fail("expected the device as a string, e.g. device(\"cpu\")");
      Attr a = Attr::device(ctx_.intern(tok_.strValue));
      advance();
      expect(Tok::RParen, "`)` after the device string");
      return a;
    }
    failAt(loc, "unknown argument value `" + w.str() + "`");
  }

  Attr parseAttr(llvm::SmallVectorImpl<Value *> &operands, unsigned &maxRegion, bool &anyRegion) {
    switch (tok_.kind) {
    case Tok::Value: {
      Value *v = bound(ctx_.name(tok_.text));
      if (!v)
        fail("use of undefined value %" + tok_.text.str());
      operands.push_back(v);
      advance();
      return Attr::operand(static_cast<unsigned>(operands.size() - 1));
    }
    case Tok::Caret: {
      unsigned idx = 0;
      if (!llvm::to_integer(tok_.text, idx, 10))
        fail("expected a region number `^N`");
      advance();
      maxRegion = std::max(maxRegion, idx);
      anyRegion = true;
      return Attr::region(idx);
    }
    case Tok::Minus: {
      advance();
      if (is(Tok::Int))
        return Attr::integer(parseNegatedIntToken());
      if (is(Tok::Float))
        return Attr::floating(-parseFloatToken());
      if (consumeIdent("inf"))
        return Attr::floating(-INFINITY);
      fail("expected a number after `-`");
    }
    case Tok::Int: return Attr::integer(parseIntToken());
    case Tok::Float: return Attr::floating(parseFloatToken());
    case Tok::String: {
      Attr a = Attr::string(ctx_.intern(tok_.strValue));
      advance();
      return a;
    }
    case Tok::Ident: return parseIdentAttr();
    case Tok::LBracket: {
      advance();
      llvm::SmallVector<Attr, 4> elems;
      if (!consume(Tok::RBracket)) {
        do
          elems.push_back(parseAttr(operands, maxRegion, anyRegion));
        while (consume(Tok::Comma));
        expect(Tok::RBracket, "`,` or `]` in a list");
      }
      return Attr::list(ctx_.copy<Attr>(elems));
    }
    default:
      fail("expected an argument, found " + describe());
    }
  }

  double parseFloatToken() {
    std::string s = tok_.text.str();
    char *end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (*end != '\0')
      fail("malformed float `" + s + "`");
    advance();
    return v;
  }

  // ---- provenance table ----
  void parseProvDef(std::unordered_map<unsigned, Provenance> &raw,
                    llvm::DenseMap<unsigned, const char *> &locs) {
    unsigned id = 0;
    const char *loc = tok_.loc;
    if (!llvm::to_integer(tok_.text, id, 10))
      fail("expected a provenance number `#N`");
    if (raw.count(id))
      fail("provenance #" + std::to_string(id) + " is defined twice");
    advance();
    expect(Tok::Equal, "`=` after `#N`");
    if (!consumeIdent("prov"))
      fail("expected `prov(...)`");
    expect(Tok::LParen, "`(` after `prov`");
    Provenance p;
    std::vector<unsigned> srcIds;
    if (!consume(Tok::RParen)) {
      do {
        if (!is(Tok::Ident))
          fail("expected a provenance field name");
        llvm::StringRef key = tok_.text;
        advance();
        auto str = [&]() {
          if (!is(Tok::String))
            fail("expected a string for provenance field `" + key.str() + "`");
          llvm::StringRef s = ctx_.intern(tok_.strValue);
          advance();
          return s;
        };
        auto num = [&]() -> uint32_t {
          if (!is(Tok::Int))
            fail("expected an integer for provenance field `" + key.str() + "`");
          int64_t v = parseIntToken();
          if (v < 0 || v > UINT32_MAX)
            fail("provenance field `" + key.str() + "` is out of range");
          return static_cast<uint32_t>(v);
        };
        if (key == "node") p.nodeName = str();
        else if (key == "file") p.source.file = str();
        else if (key == "line") p.source.line = num();
        else if (key == "col") p.source.col = num();
        else if (key == "func") p.source.function = str();
        else if (key == "code") p.source.code = str();
        else if (key == "module") p.modulePath = str();
        else if (key == "module_type") p.moduleType = str();
        else if (key == "param") p.paramFqn = str();
        else if (key == "history") {
          expect(Tok::LBracket, "`[` to open the history");
          llvm::SmallVector<PassRecord, 4> h;
          if (!consume(Tok::RBracket)) {
            do {
              expect(Tok::LParen, "`(` to open a history record");
              PassRecord rec;
              rec.pass = str();
              expect(Tok::Comma, "`,` in a history record");
              rec.action = str();
              expect(Tok::RParen, "`)` to close a history record");
              h.push_back(rec);
            } while (consume(Tok::Comma));
            expect(Tok::RBracket, "`,` or `]` in the history");
          }
          p.history = ctx_.copy<PassRecord>(h);
        } else if (key == "sources") {
          expect(Tok::LBracket, "`[` to open the sources");
          if (!consume(Tok::RBracket)) {
            do {
              if (!is(Tok::Hash))
                fail("expected a provenance reference `#N`");
              unsigned s = 0;
              if (!llvm::to_integer(tok_.text, s, 10))
                fail("expected a provenance number `#N`");
              srcIds.push_back(s);
              advance();
            } while (consume(Tok::Comma));
            expect(Tok::RBracket, "`,` or `]` in the sources");
          }
        } else {
          fail("unknown provenance field `" + key.str() + "`");
        }
      } while (consume(Tok::Comma));
      expect(Tok::RParen, "`,` or `)` in `prov(...)`");
    }
    raw[id] = p;
    locs[id] = loc;
    rawSources_[id] = srcIds;
  }

  std::unordered_map<unsigned, std::vector<unsigned>> rawSources_;

  void resolveProvenance(std::unordered_map<unsigned, Provenance> &raw,
                         llvm::DenseMap<unsigned, const char *> &locs) {
    llvm::DenseMap<unsigned, const Provenance *> done;
    llvm::DenseSet<unsigned> inProgress;
    std::function<const Provenance *(unsigned, const char *)> build =
        [&](unsigned id, const char *useLoc) -> const Provenance * {
      if (auto it = done.find(id); it != done.end())
        return it->second;
      auto it = raw.find(id);
      if (it == raw.end())
        failAt(useLoc, "provenance #" + std::to_string(id) + " is not defined");
      if (!inProgress.insert(id).second)
        failAt(locs[id], "provenance #" + std::to_string(id) + " lists itself among its sources");
      llvm::SmallVector<const Provenance *, 4> srcs;
      for (unsigned s : rawSources_[id])
        srcs.push_back(build(s, locs[id]));
      Provenance p = it->second;
      p.sources = srcs;
      const Provenance *made = ctx_.provenance(p);
      if (made->empty())
        failAt(locs[id], "provenance #" + std::to_string(id) + " is empty");
      done[id] = made;
      return made;
    };
    for (auto &[op, ref] : pendingLocs_)
      op->setProvenance(build(ref.first, ref.second));
    for (auto &[id, p] : raw)
      build(id, locs[id]);
  }
};

} // namespace

absl::StatusOr<std::unique_ptr<Graph>> parseGraph(Context &ctx, llvm::StringRef text,
                                                  llvm::StringRef fileName) {
  return Parser(ctx, text, fileName).parse();
}

} // namespace fxir
