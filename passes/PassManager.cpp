//===- PassManager.cpp -------------------------------------------------------------------===//
#include "fxir/passes/PassManager.h"

#include <chrono>
#include <cstdio>

#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Verifier.h"
#include "fxir/passes/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

namespace fxir {

PassManager::PassManager(Instrumentation inst, llvm::raw_ostream &log)
    : inst_(std::move(inst)), log_(log) {}
PassManager::~PassManager() = default;

absl::Status PassManager::add(const Pipeline &pipeline) {
  for (const PipelineEntry &e : pipeline.entries) {
    const PassInfo *info = lookupPass(e.pass);
    if (!info)
      return absl::InvalidArgumentError("unknown pass `" + e.pass + "`");
    PassOptions opts = PassOptions::defaults(info->options());
    for (const auto &[key, text] : e.options) {
      absl::StatusOr<PassOptions::Value> v = parseOption(*info, key, text);
      if (!v.ok())
        return v.status();
      opts.set(key, *v);
    }
    passes_.push_back({info, info->create(opts)});
  }
  return absl::OkStatus();
}

absl::Status PassContext::error(const Op *op, std::string message, Diagnostic::Fault fault) {
  diags_.push_back(Diagnostic::at(op, std::move(message), fault));
  return statusOf(diags_.back());
}

absl::Status PassContext::error(const Provenance *where, std::string message,
                                Diagnostic::Fault fault) {
  diags_.push_back(Diagnostic::at(where, std::move(message), fault));
  return statusOf(diags_.back());
}

absl::Status PassContext::statusOf(const Diagnostic &d) {
  Diagnostic::Fault fault = d.fault;
  std::string text = d.str(/*withCode=*/true);
  return fault == Diagnostic::Fault::Internal ? absl::InternalError(text)
                                              : absl::InvalidArgumentError(text);
}

absl::Status PassManager::requireStages(const Graph &g, StageSet required,
                                        const std::string &who) {
  for (Stage s : allStages()) {
    if (!required.has(s) || stages_.has(s))
      continue;
    absl::Status holds = checkStage(g, s);
    if (holds.ok()) { // (outside a run: nothing was known yet)
      stages_ = stages_ | s;
      continue;
    }
    const PassInfo *by = passEstablishing(s);
    std::string fix = by ? "; run `" + std::string(by->name) + "` before it" : "";
    return absl::InvalidArgumentError(who + " requires a " + stageName(s).str() +
                                      " program, and this one is not (" +
                                      std::string(holds.message()) + ")" + fix);
  }
  return absl::OkStatus();
}

absl::Status PassManager::dump(const Graph &g, unsigned index, const std::string &what) {
  if (std::error_code ec = llvm::sys::fs::create_directories(inst_.dumpDir))
    return absl::InvalidArgumentError("cannot create dump directory " + inst_.dumpDir + ": " +
                                      ec.message());
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%04u.", index);
  llvm::SmallString<256> path(inst_.dumpDir);
  llvm::sys::path::append(path, std::string(prefix) + what + ".fxir");
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec)
    return absl::InvalidArgumentError("cannot write " + std::string(path.str()) + ": " +
                                      ec.message());
  PrintOptions po;
  po.debugInfo = inst_.printDebugInfo;
  printGraph(g, out, po);
  return absl::OkStatus();
}

absl::Status PassManager::run(Graph &g) {
  if (!inst_.dumpDir.empty())
    if (absl::Status st = dump(g, 0, "input"); !st.ok())
      return st;
  records_.clear();
  diagnostics_.clear();
  // What holds on the input (a decomposed export is functional already); passes then
  // establish stages and keep the others.
  stages_ = stagesOf(g);
  unsigned index = 0;
  for (auto &[info, pass] : passes_) {
    std::string name(info->name);
    ++index;
    if (absl::Status st = requireStages(g, info->requiredStages, "pass " + name); !st.ok())
      return st;
    uint64_t firstNew = Op::nextSerial(); // ops from here on are the pass's
    Record rec;
    rec.pass = name;
    PassContext ctx(info->name, rec.stats, stages_);
    auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<bool> changed = pass->run(g, ctx);
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    diagnostics_.insert(diagnostics_.end(), ctx.diagnostics().begin(), ctx.diagnostics().end());
    if (!changed.ok()) {
      // A located error already reads `file:line: error: <pass>: ...`.
      if (!ctx.diagnostics().empty())
        return changed.status();
      return absl::Status(changed.status().code(),
                          "pass " + name + " failed: " + std::string(changed.status().message()));
    }
    rec.changed = *changed;
    records_.push_back(rec);
    if (inst_.verifyEach) {
      std::vector<Diagnostic> diags;
      if (!verify(g, diags)) {
        std::string msg = "the graph does not verify after pass " + name + ":";
        for (const Diagnostic &d : diags)
          msg += "\n  " + d.str();
        return absl::InternalError(msg);
      }
    }
    // The stages the pass establishes, checked here rather than in the pass.
    for (Stage s : allStages()) {
      if (!info->establishedStages.has(s))
        continue;
      if (absl::Status st = checkStage(g, s); !st.ok())
        return absl::InternalError("pass " + name + " should establish the " +
                                   stageName(s).str() + " stage, but after it " +
                                   std::string(st.message()));
      stages_ = stages_ | s;
    }
    if (inst_.checkProvenance) {
      std::string problems;
      g.walk([&](Op &op) {
        const Provenance *p = op.provenance();
        if (!p || p->empty())
          problems += "\n  " + op.name().str() + " has no provenance";
        else if (op.serial() >= firstNew &&
                 (p->history.empty() || p->history.back().pass != name))
          problems += "\n  " + op.name().str() + " (node " + p->nodeName.str() +
                      ") was created without a (" + name + ", ...) record";
      });
      if (!problems.empty())
        return absl::InternalError("provenance check failed after pass " + name + ":" +
                                   problems);
    }
    if (*changed && (inst_.printIrAfter.count("all") || inst_.printIrAfter.count(name))) {
      log_ << "// -----// IR after " << name << " //----- //\n";
      PrintOptions po;
      po.debugInfo = inst_.printDebugInfo;
      printGraph(g, log_, po);
    }
    if (!inst_.dumpDir.empty()) {
      std::string file = "after_" + name;
      for (char &c : file)
        if (c == '-')
          c = '_';
      if (absl::Status st = dump(g, index, file); !st.ok())
        return st;
    }
  }
  if (inst_.timing) {
    double total = 0;
    for (const Record &r : records_)
      total += r.seconds;
    log_ << "===== pass timing =====\n";
    for (const Record &r : records_)
      log_ << llvm::format("%10.3f ms  %5.1f%%  ", r.seconds * 1e3,
                           total > 0 ? 100 * r.seconds / total : 0.0)
           << r.pass << (r.changed ? "" : " (no change)") << "\n";
    log_ << llvm::format("%10.3f ms  total\n", total * 1e3);
  }
  if (inst_.statistics) {
    log_ << "===== pass statistics =====\n";
    for (const Record &r : records_)
      for (const auto &[stat, n] : r.stats)
        log_ << llvm::format("%10lld ", static_cast<long long>(n)) << r.pass << " " << stat
             << "\n";
  }
  return absl::OkStatus();
}

absl::Status runPipeline(Graph &g, const Pipeline &pipeline, const Instrumentation &inst,
                         llvm::raw_ostream &log) {
  PassManager pm(inst, log);
  if (absl::Status st = pm.add(pipeline); !st.ok())
    return st;
  return pm.run(g);
}

} // namespace fxir
