//===- Module.cpp - fxir._fxir: the Python package's native side -------------------===//
//
// nanobind bindings over the C++ API (backends/runtime/Runtime.h):
//  - compile_path / compile_json: a .pt2 archive, or an ExportedProgram's JSON with its
//    own tensors as the weights (no copy: views of their storages, written in place
//    where the program mutates them, as eager writes the module's buffers);
//  - Program.run: torch tensors in (the caller's TensorImpls, no copy), torch tensors
//    out (wrapped as torch wraps them), the GIL released and autograd below
//    (AutoDispatchBelowADInplaceOrView) during the run;
//  - ir / report / explain / to_dot / inputs / weight;
//  - errors raised as the Python package's exception classes (fxir.Error and
//    subclasses, handed over by fxir/__init__.py), with the located diagnostics of a
//    failed pass (the user's source line) attached.
// The pytree structure of inputs and outputs is the Python side's (fxir/_program.py).
//===----------------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <ATen/core/LegacyTypeDispatch.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include "TorchBridge.h"
#include "fxir/backends/cpu/Cpu.h"
#include "fxir/backends/runtime/AtenCall.h"
#include "fxir/backends/runtime/Runtime.h"
#include "fxir/driver/Driver.h"
#include "fxir/frontends/pt2/Reader.h"
#include "fxir/ir/Dot.h"
#include "fxir/ir/TextFormat.h"
#include "fxir/ir/Version.h"

#ifndef FXIR_TORCH_VERSION
#error "FXIR_TORCH_VERSION (the torch the extension is built against) must be defined"
#endif

namespace nb = nanobind;

namespace fxir::python {
namespace {

// The exception classes of fxir/__init__.py: Error, ReadError, CompileError,
// InputError, RunError (set once at import by _set_error_classes).
struct ErrorClasses {
  nb::object error, read, compile, input, run;
};
ErrorClasses &errors() {
  static ErrorClasses *e = new ErrorClasses(); // never destroyed: outlives the interpreter
  return *e;
}

[[noreturn]] void raise(const nb::object &cls, const std::string &message,
                        const std::vector<Diagnostic> &diags = {}) {
  nb::object type = cls.is_valid() ? cls : nb::borrow(PyExc_RuntimeError);
  std::string text = message;
  nb::list located;
  for (const Diagnostic &d : diags) {
    text += "\n  " + d.str(/*withCode=*/true);
    nb::dict item;
    item["message"] = d.message;
    item["file"] = d.loc.file;
    item["line"] = d.loc.line;
    item["code"] = d.loc.code;
    located.append(item);
  }
  // fxir's messages quote user source, which may be cut anywhere: never fail on the
  // decoding while raising.
  nb::object msg = nb::steal(PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()),
                                                  "replace"));
  nb::object exc = type(msg);
  nb::setattr(exc, "diagnostics", located);
  PyErr_SetObject(type.ptr(), exc.ptr());
  throw nb::python_error();
}

// A Python str of fxir's text, bytes that are not UTF-8 replaced (text quoting user
// source may be cut anywhere).
nb::str pyText(const std::string &t) {
  return nb::steal<nb::str>(
      PyUnicode_DecodeUTF8(t.data(), static_cast<Py_ssize_t>(t.size()), "replace"));
}

runtime::CompileOptions compileOptions(const std::string &backend,
                                       const std::optional<std::string> &pipeline,
                                       const std::string &config,
                                       const std::map<std::string, std::string> &options,
                                       std::vector<Diagnostic> *diags) {
  runtime::CompileOptions o;
  o.backend = backend;
  o.pipeline = pipeline;
  o.pipelineConfig = config;
  o.backendOptions = options;
  o.diagnostics = diags;
  return o;
}

// A caller's tensor bound as a weight (compile_json): its storage as it was at compile
// time, which the program's views point into.
struct OwnedWeight {
  std::string fqn;
  at::Tensor tensor; ///< the ExportedProgram's own tensor (its version counter)
  c10::Storage storage;
  const void *data = nullptr;
  size_t nbytes = 0;
  bool mutated = false; ///< the program writes it
};

bool overlaps(const c10::Storage &a, const void *data, size_t nbytes) {
  auto *p = static_cast<const char *>(a.data());
  auto *q = static_cast<const char *>(data);
  return p && q && a.nbytes() && nbytes && p < q + nbytes && q < p + a.nbytes();
}

class Program {
public:
  Program(std::unique_ptr<runtime::Executable> exe, double compileMs)
      : exe_(std::move(exe)), compileMs_(compileMs) {}

  void setOwned(std::vector<OwnedWeight> owned) {
    for (OwnedWeight &o : owned)
      for (const std::string &m : exe_->mutatedWeights())
        o.mutated |= o.fqn == m;
    owned_ = std::move(owned);
    for (const OwnedWeight &o : owned_)
      hasMutatedOwned_ |= o.mutated;
  }

  // The caller's weights must still be the memory the program was bound to: a storage
  // resized or freed since (what FSDP does to a flat parameter) would be read after
  // free.
  void checkOwned() const {
    for (const OwnedWeight &o : owned_)
      if (o.storage.data() != o.data || o.storage.nbytes() < o.nbytes)
        raise(errors().run, "weight " + o.fqn + ": its storage was resized or freed after "
                            "fxir.compile bound it (" + std::to_string(o.nbytes) +
                            " bytes then, " + std::to_string(o.storage.nbytes()) +
                            " now); compile the program again");
  }

  // Python values in signature order to IValues: tensors without copies.
  std::vector<c10::IValue> toInputs(nb::handle args) const {
    if (!PyTuple_Check(args.ptr()) && !PyList_Check(args.ptr()))
      raise(errors().input, "inputs must be a tuple or a list");
    const std::vector<runtime::InputInfo> &infos = exe_->inputs();
    size_t n = nb::len(args);
    std::vector<c10::IValue> in;
    in.reserve(n);
    bool grad = c10::GradMode::is_enabled();
    for (size_t k = 0; k < n; ++k) {
      PyObject *obj = PyTuple_Check(args.ptr()) ? PyTuple_GET_ITEM(args.ptr(), k)
                                                : PyList_GET_ITEM(args.ptr(), k);
      std::string name = k < infos.size() ? "input '" + infos[k].name + "' (#" +
                                                std::to_string(k) + ")"
                                          : "input #" + std::to_string(k);
      if (const at::Tensor *t = unpackTensor(obj)) {
        if (grad && t->requires_grad())
          raise(errors().input,
                name + " requires grad; fxir programs are for inference: call under "
                       "torch.no_grad() or torch.inference_mode(), or pass x.detach()");
        if (t->defined() && t->has_storage() && t->storage().nbytes() > 0 &&
            t->storage().data() == nullptr)
          raise(errors().input, name + " has no data (a fake or meta tensor); fxir runs on "
                                       "real CPU tensors");
        if (t->defined() && t->unsafeGetTensorImpl()->is_python_dispatch())
          raise(errors().input, name + " is a tensor subclass with __torch_dispatch__ (" +
                                    std::string(Py_TYPE(obj)->tp_name) +
                                    "); fxir runs plain tensors, not Python dispatch");
        if (t->defined() && (t->is_neg() || t->is_conj())) {
          // A lazy negation or conjugation (torch._neg_view, x.conj()): its memory holds
          // the other sign. Read as its values (a copy); a written one cannot be.
          if (k < infos.size() && infos[k].mutated)
            raise(errors().input, name + " is a lazily negated or conjugated view, which the "
                                         "program writes in place; pass "
                                         "x.resolve_neg().resolve_conj() and copy back");
          in.emplace_back(t->resolve_conj().resolve_neg());
          continue;
        }
        if (k < infos.size() && infos[k].mutated && t->defined() && t->is_inference() &&
            !c10::InferenceMode::is_enabled())
          raise(errors().input, name + " is an inference tensor, which the program writes in "
                                       "place; as in eager, that is allowed only inside "
                                       "torch.inference_mode() (or pass a clone)");
        if (hasMutatedOwned_ && t->defined() && t->has_storage())
          for (const OwnedWeight &o : owned_)
            if (o.mutated && overlaps(t->storage(), o.data, o.nbytes))
              raise(errors().input,
                    name + " shares memory with " + o.fqn +
                        ", which the program writes; eager would read the written value "
                        "through it, fxir reads inputs before writing buffers back: pass a "
                        "clone");
        in.emplace_back(*t);
      } else if (obj == Py_None) {
        in.emplace_back();
      } else if (PyBool_Check(obj)) {
        in.emplace_back(obj == Py_True);
      } else if (PyLong_Check(obj)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (overflow)
          raise(errors().input, name + ": the int does not fit in 64 bits");
        in.emplace_back(static_cast<int64_t>(v));
      } else if (PyFloat_Check(obj)) {
        in.emplace_back(PyFloat_AS_DOUBLE(obj));
      } else {
        raise(errors().input, name + ": fxir takes torch.Tensor, int, float, bool or None, "
                                     "not " + std::string(Py_TYPE(obj)->tp_name));
      }
    }
    return in;
  }

  static nb::object toPython(c10::IValue v) {
    if (v.isTensor())
      return nb::steal(wrapTensor(std::move(v).toTensor()));
    if (v.isNone())
      return nb::none();
    if (v.isBool())
      return nb::bool_(v.toBool());
    if (v.isInt())
      return nb::int_(v.toInt());
    if (v.isDouble())
      return nb::float_(v.toDouble());
    if (v.isTuple()) {
      const auto &elems = v.toTupleRef().elements();
      nb::list items;
      for (const c10::IValue &e : elems)
        items.append(toPython(e));
      return nb::tuple(items);
    }
    if (v.isList()) {
      nb::list items;
      for (const c10::IValue &e : v.toListRef())
        items.append(toPython(e));
      return std::move(items);
    }
    raise(errors().run, "an output of kind " + v.tagKind() + " has no Python form in fxir");
  }

  // The graph's flat outputs, as a Python list.
  nb::list run(nb::handle args) const {
    checkOwned();
    warnGradOnce();
    std::vector<c10::IValue> in = toInputs(args);
    // What the call may write (bumped below, run failed or not: a failure can come
    // after a partial write) and what an output may view.
    const std::vector<runtime::InputInfo> &infos = exe_->inputs();
    std::vector<at::Tensor> written, bases;
    for (size_t k = 0; k < in.size(); ++k)
      if (in[k].isTensor() && in[k].toTensor().defined()) {
        bases.push_back(in[k].toTensor());
        if (k < infos.size() && infos[k].mutated)
          written.push_back(in[k].toTensor());
      }
    absl::StatusOr<std::vector<c10::IValue>> outs = [&] {
      nb::gil_scoped_release release;
      at::AutoDispatchBelowADInplaceOrView below;
      return exe_->run(std::move(in));
    }();
    // In-place writes to user inputs and buffers, seen by autograd's version counters
    // as eager's.
    for (const at::Tensor &t : written)
      bumpVersion(t);
    if (hasMutatedOwned_)
      for (const OwnedWeight &o : owned_)
        if (o.mutated)
          bumpVersion(o.tensor);
    if (PyErr_Occurred()) // something the run reached called Python and failed
      throw nb::python_error();
    if (!outs.ok()) {
      bool input = outs.status().GetPayload(runtime::kInputErrorPayload).has_value();
      raise(input ? errors().input : errors().run, std::string(outs.status().message()));
    }
    nb::list result;
    for (c10::IValue &v : *outs) {
      if (v.isTensor())
        v = asViewOf(std::move(v).toTensor(), bases);
      result.append(toPython(std::move(v)));
    }
    return result;
  }

  // An output over the memory of an input or a weight becomes a view of it as autograd
  // sees views (eager's `return x[1:]`): its _base, a shared version counter, so a
  // write through it is seen where x was saved for backward.
  // `inputs` are the call's tensors; the caller's weights are owned_ (not copied into
  // a list per call: a model has hundreds).
  at::Tensor asViewOf(at::Tensor out, const std::vector<at::Tensor> &inputs) const {
    if (!out.defined() || !out.has_storage())
      return out;
    auto isBase = [&](const at::Tensor &b) {
      return b.has_storage() && b.storage().is_alias_of(out.storage()) &&
             b.scalar_type() == out.scalar_type() && !b.is_inference() &&
             out.unsafeGetTensorImpl() != b.unsafeGetTensorImpl();
    };
    for (const at::Tensor &b : inputs)
      if (isBase(b))
        return b.as_strided(out.sizes(), out.strides(), out.storage_offset());
    for (const OwnedWeight &o : owned_)
      if (isBase(o.tensor))
        return o.tensor.as_strided(out.sizes(), out.strides(), out.storage_offset());
    return out;
  }

  // Parameters that require grad are read as constants: the outputs have no grad_fn
  // (fxir programs are for inference). Said once per program when grad mode is on.
  void warnGradOnce() const {
    if (gradWarned_ || !c10::GradMode::is_enabled())
      return;
    for (const OwnedWeight &o : owned_)
      if (o.tensor.requires_grad()) {
        gradWarned_ = true;
        std::string msg = "fxir: parameter " + o.fqn +
                          " requires grad, but fxir programs are for inference: the "
                          "outputs are not differentiable (no grad_fn); call under "
                          "torch.no_grad() or torch.inference_mode() to silence this";
        if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 2) != 0)
          throw nb::python_error();
        return;
      }
  }

  // The C++ run alone, `n` times on the same inputs (mean seconds a call): what a
  // Python call's overhead is measured against (bench/python_overhead.py).
  double timeRun(nb::handle args, unsigned n) const {
    if (n == 0)
      raise(errors().input, "time_run: n must be at least 1");
    checkOwned();
    std::vector<c10::IValue> in = toInputs(args);
    absl::Status failed;
    double seconds = 0;
    {
      nb::gil_scoped_release release;
      at::AutoDispatchBelowADInplaceOrView below;
      auto t0 = std::chrono::steady_clock::now();
      for (unsigned i = 0; i < n && failed.ok(); ++i) {
        absl::StatusOr<std::vector<c10::IValue>> outs = exe_->run(in);
        if (!outs.ok())
          failed = outs.status();
      }
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    if (!failed.ok())
      raise(errors().run, std::string(failed.message()));
    return seconds / n;
  }

  nb::str ir(bool debugInfo) const {
    PrintOptions po;
    po.debugInfo = debugInfo;
    return pyText(printGraph(exe_->graph(), po));
  }

  nb::dict report() const {
    cpu::PartitionReport pr =
        cpu::reportPartition(exe_->graph(), cpu::nativeLoopsEnabled(exe_->compileInfo()));
    nb::dict d;
    d["backend"] = std::string(exe_->backend());
    d["kernels"] = pr.kernels;
    d["fused_ops"] = pr.fusedOps;
    d["native_loops"] = pr.nativeLoops;
    d["library_ops"] = pr.library;
    d["extern_ops"] = pr.external;
    d["compile_ms"] = compileMs_;
    d["info"] = exe_->compileInfo();
    return d;
  }

  nb::str explain() const { return pyText(explainText()); }

  std::string explainText() const {
    if (exe_->backend() != "cpu")
      return "backend " + std::string(exe_->backend()) +
             ": no generated kernels (every op runs on ATen)\n";
    absl::StatusOr<std::vector<cpu::KernelSpec>> ks =
        cpu::scheduleKernels(exe_->graph(), cpu::nativeLoopsEnabled(exe_->compileInfo()));
    if (!ks.ok())
      raise(errors().compile, std::string(ks.status().message()));
    std::string out;
    for (const cpu::KernelSpec &k : *ks)
      out += k.symbol + " fuses:\n" + k.sources + (llvm::StringRef(k.sources).ends_with("\n") ? "" : "\n");
    cpu::PartitionReport pr =
        cpu::reportPartition(exe_->graph(), cpu::nativeLoopsEnabled(exe_->compileInfo()));
    out += "library: " + cpu::PartitionReport::list(pr.library) + "\n";
    out += "extern: " + cpu::PartitionReport::list(pr.external) + "\n";
    return out;
  }

  nb::str toDot() const { return pyText(dotText(exe_->graph(), cpu::dotOptions(exe_->graph()))); }

  nb::list inputs() const {
    nb::list out;
    for (const runtime::InputInfo &i : exe_->inputs()) {
      nb::dict d;
      d["name"] = i.name;
      d["type"] = i.type->str();
      d["constant"] = i.constant;
      d["mutated"] = i.mutated;
      out.append(d);
    }
    return out;
  }

  // An archive's weight that the program does not write is the read-only mapping:
  // a copy, so the caller may write it (writing the mapping would fault).
  nb::object weight(const std::string &fqn) const {
    std::optional<at::Tensor> w = exe_->weight(fqn);
    if (!w)
      return nb::none();
    if (fromArchive_) {
      const std::vector<std::string> &m = exe_->mutatedWeights();
      if (std::find(m.begin(), m.end(), fqn) == m.end())
        return nb::steal(wrapTensor(w->clone()));
    }
    return nb::steal(wrapTensor(*w));
  }
  void setFromArchive() { fromArchive_ = true; }

  std::string inSpec() const { return exe_->program().meta.inSpec; }
  std::string outSpec() const { return exe_->program().meta.outSpec; }
  std::string backend() const { return std::string(exe_->backend()); }
  size_t numInputs() const { return exe_->inputs().size(); }

private:
  std::unique_ptr<runtime::Executable> exe_;
  double compileMs_;
  std::vector<OwnedWeight> owned_;
  bool hasMutatedOwned_ = false;
  mutable bool gradWarned_ = false;
  bool fromArchive_ = false;
};

std::unique_ptr<Program> finishCompile(std::unique_ptr<fxir::Program> prog,
                                       const runtime::CompileOptions &opts,
                                       std::chrono::steady_clock::time_point t0,
                                       std::vector<Diagnostic> &diags) {
  absl::StatusOr<std::unique_ptr<runtime::Executable>> exe;
  {
    nb::gil_scoped_release release;
    exe = runtime::compile(std::move(prog), opts);
  }
  if (!exe.ok())
    raise(errors().compile, std::string(exe.status().message()), diags);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count();
  return std::make_unique<Program>(std::move(*exe), ms);
}

std::unique_ptr<Program> compilePath(const std::string &path, const std::string &backend,
                                     const std::optional<std::string> &pipeline,
                                     const std::string &config,
                                     const std::map<std::string, std::string> &options) {
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<fxir::Program>> prog;
  {
    nb::gil_scoped_release release;
    prog = driver::loadProgram(path);
  }
  if (!prog.ok())
    raise(errors().read, std::string(prog.status().message()));
  std::vector<Diagnostic> diags;
  std::unique_ptr<Program> out = finishCompile(
      std::move(*prog), compileOptions(backend, pipeline, config, options, &diags), t0, diags);
  out->setFromArchive();
  return out;
}

// weights: (fqn, tensor, kind) with kind 0 parameter, 1 buffer, 2 constant.
std::unique_ptr<Program> compileJson(nb::bytes json, const std::string &name, nb::list weights,
                                     const std::string &backend,
                                     const std::optional<std::string> &pipeline,
                                     const std::string &config,
                                     const std::map<std::string, std::string> &options) {
  auto t0 = std::chrono::steady_clock::now();
  Weights w;
  std::vector<OwnedWeight> owned;
  std::map<const void *, std::string> storageNames;
  std::map<const void *, std::shared_ptr<const void>> heldStorages;
  for (nb::handle item : weights) {
    nb::tuple t = nb::cast<nb::tuple>(item);
    std::string fqn = nb::cast<std::string>(t[0]);
    const at::Tensor *tensor = unpackTensor(t[1].ptr());
    int kind = nb::cast<int>(t[2]);
    std::string where = name + ": weight " + fqn;
    if (!tensor)
      raise(errors().read, where + " is no torch.Tensor");
    if (!tensor->defined() || !tensor->device().is_cpu() ||
        tensor->layout() != c10::kStrided || !tensor->has_storage())
      raise(errors().read, where + ": fxir binds dense CPU tensors only (" +
                               tensor->toString() + ")");
    absl::StatusOr<DType> dt = runtime::fromScalarType(tensor->scalar_type());
    if (!dt.ok())
      raise(errors().read, where + ": " + std::string(dt.status().message()));
    const c10::Storage &storage = tensor->storage();
    if (storage.nbytes() > 0 && storage.data() == nullptr)
      raise(errors().read, where + ": its storage has no data (a fake or meta tensor); "
                                   "fxir needs the tensor's values");
    if (tensor->is_neg() || tensor->is_conj() ||
        tensor->unsafeGetTensorImpl()->is_python_dispatch())
      raise(errors().read, where + ": a lazily negated or conjugated view, or a tensor "
                                   "subclass with __torch_dispatch__; fxir binds plain "
                                   "tensors (resolve_neg()/resolve_conj(), or a plain copy)");
    TensorData td;
    td.fqn = fqn;
    td.kind = kind == 0 ? TensorData::Kind::Parameter
                        : kind == 1 ? TensorData::Kind::Buffer : TensorData::Kind::Constant;
    td.dtype = *dt;
    td.sizes.assign(tensor->sizes().begin(), tensor->sizes().end());
    td.strides.assign(tensor->strides().begin(), tensor->strides().end());
    td.storageOffset = tensor->storage_offset();
    td.requiresGrad = tensor->requires_grad();
    const void *key = storage.unsafeGetStorageImpl();
    auto it = storageNames.try_emplace(key, "storage" + std::to_string(storageNames.size())).first;
    td.storage = it->second; // tensors over one storage share its name, as in an archive
    td.storageBytes = llvm::ArrayRef<uint8_t>(
        static_cast<const uint8_t *>(storage.data()), storage.nbytes());
    td.writable = true;
    owned.push_back({fqn, *tensor, storage, storage.data(), storage.nbytes(), false});
    auto [held, first] = heldStorages.try_emplace(key);
    if (first) {
      held->second = std::shared_ptr<const void>(
          new c10::Storage(storage), [](const void *p) { delete static_cast<const c10::Storage *>(p); });
      w.keepAlive.push_back(held->second);
    }
    td.c10Storage = held->second; // bound as itself (TensorData::c10Storage)
    w.tensors.push_back(std::move(td));
  }
  llvm::StringRef text(json.c_str(), json.size());
  absl::StatusOr<std::unique_ptr<fxir::Program>> prog;
  {
    nb::gil_scoped_release release;
    prog = pt2::readProgramJson(text, name, std::move(w));
  }
  if (!prog.ok())
    raise(errors().read, std::string(prog.status().message()));
  std::vector<Diagnostic> diags;
  std::unique_ptr<Program> out = finishCompile(
      std::move(*prog), compileOptions(backend, pipeline, config, options, &diags), t0, diags);
  out->setOwned(std::move(owned));
  return out;
}

} // namespace
} // namespace fxir::python

NB_MODULE(_fxir, m) {
  using fxir::python::Program;
  m.doc() = "fxir's native side (use the fxir package)";
  // Compiled programs held by caches that live until interpreter teardown (torch.compile's,
  // module globals) are still alive when nanobind's leak check runs; that is no leak.
  nb::set_leak_warnings(false);
  m.attr("TORCH_VERSION") = FXIR_TORCH_VERSION;
  m.attr("VERSION") = fxir::versionString();
  m.def("_set_error_classes", [](nb::object error, nb::object read, nb::object compile,
                                 nb::object input, nb::object run) {
    fxir::python::errors() = {error, read, compile, input, run};
  });
  m.def("compile_path", &fxir::python::compilePath, nb::arg("path"), nb::arg("backend"),
        nb::arg("pipeline").none(), nb::arg("config"), nb::arg("options"));
  m.def("compile_json", &fxir::python::compileJson, nb::arg("json"), nb::arg("name"),
        nb::arg("weights"), nb::arg("backend"), nb::arg("pipeline").none(),
        nb::arg("config"), nb::arg("options"));
  nb::class_<Program>(m, "Program")
      .def("run", &Program::run, nb::arg("args"),
           "Runs on flat inputs (a tuple or list in signature order); returns the flat "
           "outputs as a list")
      .def("time_run", &Program::timeRun, nb::arg("args"), nb::arg("n"))
      .def("ir", &Program::ir, nb::arg("debuginfo") = false)
      .def("report", &Program::report)
      .def("explain", &Program::explain)
      .def("to_dot", &Program::toDot)
      .def("inputs", &Program::inputs)
      .def("weight", &Program::weight, nb::arg("fqn"))
      .def_prop_ro("in_spec", &Program::inSpec)
      .def_prop_ro("out_spec", &Program::outSpec)
      .def_prop_ro("backend", &Program::backend)
      .def_prop_ro("num_inputs", &Program::numInputs);
}
