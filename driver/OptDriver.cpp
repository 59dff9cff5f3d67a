//===- OptDriver.cpp --------------------------------------------------------------===//
#include "fxir/driver/OptDriver.h"

#include <regex>
#include <vector>

#include "fxir/ir/Context.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

namespace fxir {
namespace {

struct Chunk {
  std::string text;    // padded with newlines so line numbers match the whole file
  unsigned firstLine;  // 1-based line of the chunk's first line in the file
};

std::vector<Chunk> splitInput(llvm::StringRef buffer, bool split) {
  std::vector<Chunk> chunks;
  if (!split) {
    chunks.push_back({buffer.str(), 1});
    return chunks;
  }
  llvm::SmallVector<llvm::StringRef, 0> lines;
  buffer.split(lines, '\n', -1, /*KeepEmpty=*/true);
  std::string cur;
  unsigned start = 1;
  for (unsigned i = 0; i < lines.size(); ++i) {
    if (lines[i].trim() == "// -----") {
      chunks.push_back({std::string(start - 1, '\n') + cur, start});
      cur.clear();
      start = i + 2;
      continue;
    }
    cur += lines[i];
    if (i + 1 < lines.size())
      cur += '\n';
  }
  chunks.push_back({std::string(start - 1, '\n') + cur, start});
  return chunks;
}

struct Expected {
  unsigned line;
  std::string message;
  bool matched = false;
};

std::vector<Expected> findExpectations(const std::string &text) {
  std::vector<Expected> out;
  static const std::regex re(R"(// expected-error(\s*@([+-]\d+))?\s*\{\{(.*)\}\})");
  unsigned line = 1;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos)
      end = text.size();
    std::string l = text.substr(pos, end - pos);
    std::smatch m;
    if (std::regex_search(l, m, re)) {
      int offset = m[2].matched ? std::stoi(m[2].str()) : 0;
      out.push_back({static_cast<unsigned>(static_cast<int>(line) + offset), m[3].str()});
    }
    ++line;
    pos = end + 1;
  }
  return out;
}

// An error as produced: its line (0 if unknown) and full text.
struct Produced {
  unsigned line;
  std::string text;
};

// Parser errors read "file:LINE:COL: error: msg".
unsigned lineOfParseError(llvm::StringRef msg, llvm::StringRef fileName) {
  if (!msg.starts_with(fileName))
    return 0;
  llvm::StringRef rest = msg.drop_front(fileName.size());
  if (!rest.consume_front(":"))
    return 0;
  unsigned line = 0;
  rest.consumeInteger(10, line);
  return line;
}

} // namespace

int runOpt(llvm::StringRef buffer, llvm::StringRef fileName, const OptOptions &opts,
           llvm::raw_ostream &out, llvm::raw_ostream &err) {
  int rc = 0;
  std::vector<Chunk> chunks = splitInput(buffer, opts.splitInputFile);
  for (size_t ci = 0; ci < chunks.size(); ++ci) {
    const Chunk &chunk = chunks[ci];
    Context ctx;
    std::vector<Produced> produced;
    absl::StatusOr<std::unique_ptr<Graph>> g = parseGraph(ctx, chunk.text, fileName);
    if (!g.ok()) {
      std::string msg(g.status().message());
      produced.push_back({lineOfParseError(msg, fileName), msg});
    } else if (opts.verify) {
      std::vector<Diagnostic> diags;
      verify(**g, diags);
      for (const Diagnostic &d : diags)
        produced.push_back({d.loc.file == fileName ? d.loc.line : 0, d.str()});
    }
    if (g.ok() && produced.empty() && opts.pipeline) {
      Instrumentation inst = opts.instrumentation;
      // One dump directory per case, so cases do not overwrite each other's files.
      if (!inst.dumpDir.empty() && chunks.size() > 1)
        inst.dumpDir += "/case" + std::to_string(ci);
      PassManager pm(inst, err);
      absl::Status st = pm.add(*opts.pipeline);
      if (st.ok())
        st = pm.run(**g);
      if (!st.ok()) {
        // A pass's located errors sit at their op's line; others at none.
        if (!pm.diagnostics().empty())
          for (const Diagnostic &d : pm.diagnostics())
            produced.push_back({d.loc.file == fileName ? d.loc.line : 0, d.str(true)});
        else
          produced.push_back({0, "error: " + std::string(st.message())});
      }
    }

    if (opts.verifyDiagnostics) {
      std::vector<Expected> expected = findExpectations(chunk.text);
      for (const Produced &p : produced) {
        bool ok = false;
        for (Expected &e : expected)
          if (!e.matched && e.line == p.line && p.text.find(e.message) != std::string::npos) {
            e.matched = ok = true;
            break;
          }
        if (!ok) {
          err << p.text << "\n  (unexpected error)\n";
          rc = 1;
        }
      }
      for (const Expected &e : expected)
        if (!e.matched) {
          err << fileName << ":" << e.line << ": expected error not produced: " << e.message
              << "\n";
          rc = 1;
        }
      continue;
    }
    for (const Produced &p : produced)
      err << p.text << "\n";
    if (!produced.empty()) {
      rc = 1;
      continue;
    }
    if (ci)
      out << "// -----\n";
    if (opts.print) {
      opts.print(**g, out);
      continue;
    }
    PrintOptions po;
    po.debugInfo = opts.printDebugInfo;
    printGraph(**g, out, po);
  }
  return rc;
}

} // namespace fxir
