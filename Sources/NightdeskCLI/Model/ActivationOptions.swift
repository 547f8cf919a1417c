import ArgumentParser
import NightdeskModel

extension ActivationPrecision: ExpressibleByArgument {}

/// `--activations`: the reference float32 path, or llama.cpp-style 8-bit activations.
struct ActivationOptions: ParsableArguments {
  @Option(help: ArgumentHelp(
    "Activations into quantized weights: f32 (the reference, default) or int8 (each row quantized per "
      + "32-element block, integer dot products with Q4_0/Q4_1/Q8_0 weights repacked at load, as llama.cpp "
      + "does). int8 trades exactness for integer arithmetic: still batch-invariant, but logits differ from "
      + "the reference by the rounding (`nightdesk compare-precision` measures it). It speeds up prefill and "
      + "batched decode on CPUs with AVX-512 VNNI (compare with `nightdesk bench`).",
    valueName: "f32|int8"))
  var activations: ActivationPrecision = .float32
}
