//===- Dot.cpp - a program as a Graphviz graph -------------------------------------===//
#include "fxir/ir/Dot.h"

#include "fxir/ir/Provenance.h"
#include "fxir/ir/Type.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Path.h"

namespace fxir {
namespace {

// A Graphviz double-quoted string's contents: quotes and backslashes escaped, line
// breaks as \l-free centred breaks (\n), control characters dropped.
std::string escape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) >= 0x20)
      out += c;
  }
  return out;
}

// At most `n` characters: long source lines and types stay readable in a picture.
std::string clip(llvm::StringRef s, size_t n) {
  s = s.trim();
  if (s.size() <= n)
    return s.str();
  // Cut at a character boundary: never inside a UTF-8 sequence (continuation bytes are
  // 10xxxxxx), so the label stays valid UTF-8 for Graphviz and Python.
  size_t cut = n - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut;
  return s.take_front(cut).str() + "...";
}

class DotPrinter {
public:
  DotPrinter(const Graph &g, llvm::raw_ostream &os, const DotOptions &o)
      : g_(g), os_(os), o_(o) {}

  void print() {
    os_ << "digraph \"" << escape(g_.name().empty() ? "program" : g_.name()) << "\" {\n"
        << "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, compound=true];\n"
        << "  node [shape=box, style=\"rounded,filled\", fillcolor=white, "
           "fontname=\"Helvetica\", fontsize=10];\n"
        << "  edge [fontname=\"Helvetica\", fontsize=9, color=gray40];\n";
    const Region &body = g_.body();
    for (unsigned i = 0; i < body.numArgs(); ++i) {
      std::string kind;
      if (i < g_.inputSpecs().size())
        kind = inputKindName(g_.inputSpecs()[i].kind).str();
      std::string target =
          i < g_.inputSpecs().size() ? g_.inputSpecs()[i].target.str() : std::string();
      std::string label = "%" + body.arg(i)->name().str();
      if (!kind.empty())
        label += "\n" + kind + (target.empty() || target == body.arg(i)->name() ? "" : " " + target);
      label += "\n" + clip(body.arg(i)->type()->str(), 48);
      os_ << "  " << node(body.arg(i)) << " [shape=ellipse, fillcolor=lightyellow, label=\""
          << escape(label) << "\"];\n";
    }
    region(body, 1);
    edges();
    os_ << "}\n";
  }

private:
  const Graph &g_;
  llvm::raw_ostream &os_;
  const DotOptions &o_;
  llvm::DenseMap<const void *, unsigned> ids_;
  unsigned clusters_ = 0;
  std::string edges_;

  std::string node(const void *p) {
    auto [it, inserted] = ids_.try_emplace(p, ids_.size());
    return "n" + std::to_string(it->second);
  }

  void indent(unsigned depth) { os_.indent(2 * depth); }

  std::string opLabel(const Op &op) {
    std::string label = op.name().str();
    if (op.numResults() == 1)
      label = (op.result(0)->name().empty() ? "" : "%" + op.result(0)->name().str() + " = ") +
              label + "\n" + clip(op.result(0)->type()->str(), 48);
    else if (op.numResults() > 1)
      label += "\n" + std::to_string(op.numResults()) + " results";
    if (o_.sourceLines && op.provenance() && op.provenance()->source.valid()) {
      const SourceLoc &s = op.provenance()->source;
      std::string where = llvm::sys::path::filename(s.file).str() + ":" + std::to_string(s.line);
      label += "\n" + where + (s.code.empty() ? "" : "  " + clip(s.code, 40));
    }
    return label;
  }

  DotStyle style(const Op &op) { return o_.classify ? o_.classify(op) : DotStyle(); }

  void region(const Region &r, unsigned depth) {
    for (const Op &op : r.ops()) {
      if (op.isTerminator() && r.parentOp() == nullptr) {
        // The graph's outputs.
        indent(depth);
        os_ << node(&op) << " [shape=ellipse, fillcolor=lightblue, label=\"output\"];\n";
        uses(op);
        continue;
      }
      if (op.isTerminator()) {
        indent(depth);
        os_ << node(&op) << " [shape=point, width=0.08, label=\"\"];\n";
        uses(op);
        continue;
      }
      DotStyle st = style(op);
      if (op.numRegions() == 0) {
        indent(depth);
        std::string label = opLabel(op) + (st.label.empty() ? "" : "\n" + st.label);
        os_ << node(&op) << " [label=\"" << escape(label) << "\""
            << (st.fillColor.empty() ? "" : ", fillcolor=\"" + escape(st.fillColor) + "\"")
            << "];\n";
        uses(op);
        for (unsigned i = 0; i < op.numResults(); ++i)
          alias(op.result(i), &op);
        continue;
      }
      // A region-holding op: its node (where its operands go in and its results come
      // out), then one cluster per region with the region's arguments and ops.
      indent(depth);
      std::string label = opLabel(op) + (st.label.empty() ? "" : "\n" + st.label);
      os_ << node(&op) << " [shape=box3d, label=\"" << escape(label) << "\""
          << (st.fillColor.empty() ? "" : ", fillcolor=\"" + escape(st.fillColor) + "\"")
          << "];\n";
      uses(op);
      for (unsigned i = 0; i < op.numResults(); ++i)
        alias(op.result(i), &op);
      for (unsigned ri = 0; ri < op.numRegions(); ++ri) {
        const Region &sub = op.region(ri);
        std::string title = o_.clusterTitle ? o_.clusterTitle(op, ri) : std::string();
        if (title.empty())
          title = op.name().str() + (op.numRegions() > 1 ? " region " + std::to_string(ri) : "");
        indent(depth);
        os_ << "subgraph cluster_" << clusters_++ << " {\n";
        indent(depth + 1);
        os_ << "label=\"" << escape(title) << "\"; style=\"rounded,filled\"; "
            << "fillcolor=\"" << (st.fillColor.empty() ? "gray96" : escape(st.fillColor) + ":white")
            << "\"; color=gray50;\n";
        for (unsigned a = 0; a < sub.numArgs(); ++a) {
          indent(depth + 1);
          os_ << node(sub.arg(a)) << " [shape=ellipse, fillcolor=white, label=\""
              << escape("^" + std::to_string(a) +
                        (sub.arg(a)->name().empty() ? "" : " %" + sub.arg(a)->name().str()))
              << "\"];\n";
        }
        region(sub, depth + 1);
        // Control into the region: the op's node to the region's first op.
        if (!sub.empty()) {
          const Op &first = sub.ops().front();
          edges_ += "  " + node(&op) + " -> " + node(&first) + " [style=dotted, arrowhead=none];\n";
        }
        indent(depth);
        os_ << "}\n";
      }
    }
  }

  // Results are drawn as the op that defines them.
  void alias(const Value *v, const Op *op) { ids_[v] = ids_.lookup(op); }

  void uses(const Op &op) {
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Value *v = op.operandValue(i);
      if (!v)
        continue;
      edges_ += "  " + node(v) + " -> " + node(&op) + ";\n";
    }
  }

  void edges() { os_ << edges_; }
};

} // namespace

void printDot(const Graph &graph, llvm::raw_ostream &os, const DotOptions &options) {
  DotPrinter(graph, os, options).print();
}

std::string dotText(const Graph &graph, const DotOptions &options) {
  std::string out;
  llvm::raw_string_ostream os(out);
  printDot(graph, os, options);
  return out;
}

} // namespace fxir
