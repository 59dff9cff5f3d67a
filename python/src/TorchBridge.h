//===- TorchBridge.h - torch's own Python wrapping of tensors, in one place ---------===//
//
// What the extension needs from torch's Python C API (libtorch_python), kept out of the
// nanobind translation unit: a Python object to the at::Tensor it wraps (no copy) and
// an at::Tensor to the torch.Tensor object torch itself would make for it
// (THPVariable_Wrap: the same TensorImpl, so the same storage, no DLPack).
//===----------------------------------------------------------------------------===//
#pragma once

#include <Python.h>

#include <ATen/core/Tensor.h>

namespace fxir::python {

/// The tensor `obj` wraps, or null when it is no torch.Tensor.
const at::Tensor *unpackTensor(PyObject *obj);
/// A new reference to the torch.Tensor for `t`.
PyObject *wrapTensor(at::Tensor t);
/// Bumps the version counter of a tensor fxir wrote in place (autograd's view of an
/// in-place write; runs happen below ADInplaceOrView, which would do it).
void bumpVersion(const at::Tensor &t);

} // namespace fxir::python
