# lit configuration for fxir's tool tests: `RUN:` lines drive fxir-opt / fxir-run and
# check their output with FileCheck. Substitutions: %python (the venv's Python with
# torch), %fxir-opt, %fxir-run, FileCheck, not, split-file.
import os
import lit.formats

config.name = "fxir"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".test", ".fxir"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.fxir_obj_root, "tests", "lit")

config.environment["PATH"] = os.pathsep.join(
    [config.fxir_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%fxir_src", config.fxir_src_root))
if config.torch_enabled:
    config.available_features.add("torch")
