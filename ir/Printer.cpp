//===- Printer.cpp - fxir text out ---------------------------------------------===//
//
// The printer half of TextFormat.h: canonical, deterministic text with unique value
// names and, with debug info, the provenance table. The lexer and parser are
// TextLexer.cpp and Parser.cpp.
//===----------------------------------------------------------------------------===//
#include "fxir/ir/TextFormat.h"

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
#include "llvm/Support/Allocator.h"
#include "llvm/Support/StringSaver.h"

namespace fxir {

//===----------------------------------------------------------------------------===//
// Printer
//===----------------------------------------------------------------------------===//

namespace {

void printString(llvm::StringRef s, llvm::raw_ostream &os) {
  os << '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"': os << "\\\""; break;
    case '\\': os << "\\\\"; break;
    case '\n': os << "\\n"; break;
    case '\t': os << "\\t"; break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        static const char *hex = "0123456789abcdef";
        os << "\\x" << hex[c >> 4] << hex[c & 15];
      } else {
        os << c;
      }
    }
  }
  os << '"';
}

void printFloat(double v, llvm::raw_ostream &os) {
  if (std::isnan(v)) {
    os << "nan";
    return;
  }
  if (std::isinf(v)) {
    os << (v < 0 ? "-inf" : "inf");
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  llvm::StringRef s(buf, res.ptr - buf);
  os << s;
  // Keep it a float when read back: 2 -> 2.0.
  if (s.find_first_of(".e") == llvm::StringRef::npos)
    os << ".0";
}

class Printer {
public:
  Printer(const Graph &g, llvm::raw_ostream &os, const PrintOptions &opts)
      : g_(g), os_(os), opts_(opts) {}

  void print() {
    nameValues();
    // Symbols used anywhere in the graph's types, in declaration order.
    llvm::DenseSet<const Symbol *> used;
    auto noteExpr = [&](const SymExpr *e, auto &self) -> void {
      if (e->kind() == SymExpr::Kind::Sym)
        used.insert(e->symbol());
      for (const SymExpr *o : e->operands())
        self(o, self);
    };
    auto noteType = [&](const Type *t, auto &self) -> void {
      if (!t)
        return;
      for (const SymExpr *d : t->shape())
        noteExpr(d, noteExpr);
      for (const SymExpr *d : t->strides())
        noteExpr(d, noteExpr);
      if (t->symExpr())
        noteExpr(t->symExpr(), noteExpr);
      self(t->element(), self);
    };
    forEachValue([&](const Value *v) { noteType(v->type(), noteType); });
    for (const Symbol *s : g_.context().symbols())
      if (used.count(s))
        printSymbol(*s);

    os_ << "graph @" << g_.name() << "(";
    const Region &body = g_.body();
    for (unsigned i = 0; i < body.numArgs(); ++i) {
      if (i)
        os_ << ", ";
      printValueDef(body.arg(i));
      const InputSpec spec =
          i < g_.inputSpecs().size() ? g_.inputSpecs()[i] : InputSpec{};
      os_ << " " << inputKindName(spec.kind);
      if (!spec.target.empty()) {
        os_ << " ";
        printString(spec.target, os_);
      }
      if (spec.kind == InputSpec::Kind::Buffer && !spec.persistent)
        os_ << " non_persistent";
      if (!spec.shares.empty()) {
        os_ << " shares ";
        printString(spec.shares, os_);
        if (spec.sharesAt)
          os_ << " at " << *spec.sharesAt;
      }
      if (spec.value) {
        os_ << " = ";
        printConstant(*spec.value);
      }
    }
    os_ << ") -> (";
    for (size_t i = 0; i < g_.outputSpecs().size(); ++i) {
      if (i)
        os_ << ", ";
      const OutputSpec &spec = g_.outputSpecs()[i];
      os_ << outputKindName(spec.kind);
      if (!spec.target.empty()) {
        os_ << " ";
        printString(spec.target, os_);
      }
    }
    os_ << ") {\n";
    printOps(body, 1);
    os_ << "}\n";
    if (opts_.debugInfo)
      printProvenanceTable();
  }

private:
  const Graph &g_;
  llvm::raw_ostream &os_;
  PrintOptions opts_;
  // Values printed under a name other than their own (unnamed, invalid or duplicate).
  llvm::DenseMap<const Value *, llvm::StringRef> renamed_;
  // Each type's text, made once per print.
  llvm::DenseMap<const Type *, std::string> typeText_;
  llvm::DenseMap<const Provenance *, unsigned> provIds_;
  std::vector<const Provenance *> provOrder_;

  void forEachValue(const std::function<void(const Value *)> &f) {
    const Region &body = g_.body();
    for (unsigned i = 0; i < body.numArgs(); ++i)
      f(body.arg(i));
    g_.walk([&](Op &op) {
      for (unsigned r = 0; r < op.numRegions(); ++r)
        for (unsigned i = 0; i < op.region(r).numArgs(); ++i)
          f(op.region(r).arg(i));
      for (unsigned i = 0; i < op.numResults(); ++i)
        f(op.result(i));
    });
  }

  static bool validName(llvm::StringRef s) {
    return !s.empty() && llvm::all_of(s, [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
    });
  }

  // Name hints where valid and not already visible, numbers elsewhere. Names are
  // scoped like the parser's: a region's names are released when it ends, so sibling
  // regions keep their FX names. Numbers never collide with any name in the graph.
  // All of it is the printer's own state (nothing is written on the graph or its
  // Context), so several threads may print one graph at once: a flag per visible name
  // (in an array indexed by the names' dense indices: no hashing on the hot path), the
  // text of every name (made only when a number is needed), and the numbers made up,
  // in a local arena.
  enum : uint8_t { kVisible = 1 };
  std::vector<uint8_t> flags_ = std::vector<uint8_t>(g_.context().numInternedStrings());
  llvm::StringSet<> graphNames_;
  bool graphNamesMade_ = false;
  llvm::BumpPtrAllocator arena_;
  llvm::StringSaver saver_{arena_};

  void nameValues() { nameRegion(g_.body()); }

  // Every name of the graph, once, so generated numbers avoid them all.
  void makeGraphNames() {
    if (graphNamesMade_)
      return;
    graphNamesMade_ = true;
    forEachValue([&](const Value *v) {
      if (!v->nameRef().empty())
        graphNames_.insert(v->name());
    });
  }

  void nameRegion(const Region &r) {
    llvm::SmallVector<Name, 16> added;
    auto assign = [&](const Value *v) {
      Name n = v->nameRef();
      if (!n.empty() && validName(n.str())) {
        uint8_t &f = flags_[n.index()];
        if (!(f & kVisible)) {
          f |= kVisible;
          added.push_back(n);
          return;
        }
      }
      makeGraphNames();
      std::string number;
      do
        number = std::to_string(nextNumber_++);
      while (graphNames_.count(number));
      renamed_[v] = saver_.save(number);
    };
    for (unsigned i = 0; i < r.numArgs(); ++i)
      assign(r.arg(i));
    for (const Op &op : r.ops()) {
      for (unsigned ri = 0; ri < op.numRegions(); ++ri)
        nameRegion(op.region(ri));
      for (unsigned i = 0; i < op.numResults(); ++i)
        assign(op.result(i));
    }
    for (Name n : added)
      flags_[n.index()] &= ~kVisible;
  }

  unsigned nextNumber_ = 0;

  llvm::StringRef nameOf(const Value *v) const {
    auto it = renamed_.find(v);
    return it == renamed_.end() ? v->name() : it->second;
  }

  const std::string &typeStr(const Type *t) {
    auto [it, inserted] = typeText_.try_emplace(t);
    if (inserted)
      it->second = t->str();
    return it->second;
  }

  void printSymbol(const Symbol &s) {
    os_ << "sym " << s.name << " : [";
    if (s.min)
      os_ << *s.min;
    else
      os_ << "-inf";
    os_ << ", ";
    if (s.max)
      os_ << *s.max;
    else
      os_ << "inf";
    os_ << "]";
    if (s.hint)
      os_ << " hint " << *s.hint;
    if (s.unbacked)
      os_ << " unbacked";
    os_ << "\n";
  }

  void printValueDef(const Value *v) {
    os_ << "%" << nameOf(v) << ": " << typeStr(v->type());
  }

  // A constant (no operand or region references), as in a constant_input's value.
  void printConstant(const Attr &a) {
    switch (a.kind()) {
    case Attr::Kind::Int: os_ << a.intValue(); return;
    case Attr::Kind::Float: printFloat(a.floatValue(), os_); return;
    case Attr::Kind::Bool: os_ << (a.boolValue() ? "true" : "false"); return;
    case Attr::Kind::Str: printString(a.stringValue(), os_); return;
    default: os_ << "none"; return;
    }
  }

  void printAttr(const Op &op, const Attr &a) {
    switch (a.kind()) {
    case Attr::Kind::None: os_ << "none"; return;
    case Attr::Kind::Int: os_ << a.intValue(); return;
    case Attr::Kind::Float: printFloat(a.floatValue(), os_); return;
    case Attr::Kind::Bool: os_ << (a.boolValue() ? "true" : "false"); return;
    case Attr::Kind::Str: printString(a.stringValue(), os_); return;
    case Attr::Kind::DType: os_ << irName(a.dtypeValue()); return;
    case Attr::Kind::Device:
      os_ << "device(";
      printString(a.stringValue(), os_);
      os_ << ")";
      return;
    case Attr::Kind::Layout:
    case Attr::Kind::MemoryFormat: os_ << a.stringValue(); return;
    case Attr::Kind::List:
      os_ << "[";
      for (size_t i = 0; i < a.listValue().size(); ++i) {
        if (i)
          os_ << ", ";
        printAttr(op, a.listValue()[i]);
      }
      os_ << "]";
      return;
    case Attr::Kind::Operand:
      if (a.index() < op.numOperands() && op.operandValue(a.index()))
        os_ << "%" << nameOf(op.operandValue(a.index()));
      else
        os_ << "%<bad operand " << a.index() << ">";
      return;
    case Attr::Kind::Region: os_ << "^" << a.index(); return;
    }
  }

  unsigned provId(const Provenance *p) {
    auto [it, inserted] = provIds_.try_emplace(p, provOrder_.size());
    // Copied before the recursion: numbering the sources inserts into provIds_, which
    // may grow and free the bucket `it` points at.
    unsigned id = it->second;
    if (inserted) {
      provOrder_.push_back(p);
      for (const Provenance *s : p->sources)
        provId(s);
    }
    return id;
  }

  void printOps(const Region &r, unsigned depth) {
    for (const Op &op : r.ops())
      printOp(op, depth);
  }

  void printOp(const Op &op, unsigned depth) {
    os_.indent(depth * 2);
    for (unsigned i = 0; i < op.numResults(); ++i) {
      if (i)
        os_ << ", ";
      printValueDef(op.result(i));
    }
    if (op.numResults())
      os_ << " = ";
    os_ << op.name() << "(";
    for (size_t i = 0; i < op.args().size(); ++i) {
      if (i)
        os_ << ", ";
      const Arg &a = op.args()[i];
      if (!a.name.empty())
        os_ << a.name << "=";
      printAttr(op, a.value);
    }
    os_ << ")";
    for (unsigned ri = 0; ri < op.numRegions(); ++ri) {
      const Region &reg = op.region(ri);
      os_ << " ^" << ri << "(";
      for (unsigned i = 0; i < reg.numArgs(); ++i) {
        if (i)
          os_ << ", ";
        printValueDef(reg.arg(i));
      }
      os_ << ") {\n";
      printOps(reg, depth + 1);
      os_.indent(depth * 2) << "}";
    }
    if (opts_.debugInfo)
      os_ << " loc #" << provId(op.provenance());
    os_ << "\n";
  }

  void printProvenanceTable() {
    // provOrder_ grows while printing sources; index, not iterators.
    for (size_t i = 0; i < provOrder_.size(); ++i) {
      const Provenance *p = provOrder_[i];
      os_ << "#" << i << " = prov(";
      bool first = true;
      auto field = [&](llvm::StringRef key) -> llvm::raw_ostream & {
        if (!first)
          os_ << ", ";
        first = false;
        return os_ << key << " ";
      };
      auto str = [&](llvm::StringRef key, llvm::StringRef v) {
        if (!v.empty())
          printString(v, field(key));
      };
      str("node", p->nodeName);
      str("file", p->source.file);
      if (p->source.line)
        field("line") << p->source.line;
      if (p->source.col)
        field("col") << p->source.col;
      str("func", p->source.function);
      str("code", p->source.code);
      str("module", p->modulePath);
      str("module_type", p->moduleType);
      str("param", p->paramFqn);
      if (!p->history.empty()) {
        field("history") << "[";
        for (size_t h = 0; h < p->history.size(); ++h) {
          if (h)
            os_ << ", ";
          os_ << "(";
          printString(p->history[h].pass, os_);
          os_ << ", ";
          printString(p->history[h].action, os_);
          os_ << ")";
        }
        os_ << "]";
      }
      if (!p->sources.empty()) {
        field("sources") << "[";
        for (size_t s = 0; s < p->sources.size(); ++s)
          os_ << (s ? ", #" : "#") << provId(p->sources[s]);
        os_ << "]";
      }
      os_ << ")\n";
    }
  }
};

} // namespace

void printGraph(const Graph &g, llvm::raw_ostream &os, const PrintOptions &opts) {
  Printer(g, os, opts).print();
}

std::string printGraph(const Graph &g, const PrintOptions &opts) {
  std::string s;
  llvm::raw_string_ostream os(s);
  printGraph(g, os, opts);
  return s;
}

} // namespace fxir
