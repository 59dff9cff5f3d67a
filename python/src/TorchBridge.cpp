//===- TorchBridge.cpp ---------------------------------------------------------------===//
#include "TorchBridge.h"

#include <torch/csrc/autograd/python_variable.h>

namespace fxir::python {

const at::Tensor *unpackTensor(PyObject *obj) {
  // By type, not THPVariable_Check: that one accepts any object whose __class__ claims
  // to be a tensor subclass, whose memory is then no THPVariable.
  if (!THPVariableClass ||
      !PyType_IsSubtype(Py_TYPE(obj), reinterpret_cast<PyTypeObject *>(THPVariableClass)))
    return nullptr;
  return &THPVariable_Unpack(obj);
}

PyObject *wrapTensor(at::Tensor t) { return THPVariable_Wrap(std::move(t)); }

void bumpVersion(const at::Tensor &t) {
  // Inference tensors have no version counter.
  if (t.defined() && !t.is_inference())
    t.unsafeGetTensorImpl()->bump_version();
}

} // namespace fxir::python
