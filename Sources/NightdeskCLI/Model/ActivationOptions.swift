import ArgumentParser
import NightdeskModel

extension ActivationPrecision: ExpressibleByArgument {}

/// `--activations`: the reference float32 path, or llama.cpp-style 8-bit activations.
struct ActivationOptions: ParsableArguments {
  @Option(help: ArgumentHelp(
    "Activations into quantized weights: f32 (the reference, default) or int8 (each row quantized per "
      + "32-element block, or 256 for K-quants; integer dot products with Q4_0/Q4_1/Q8_0/Q4_K/Q5_K/Q6_K "
      + "weights repacked at load, as llama.cpp does; keys and values cached in f16 unless --kv-precision "
      + "says otherwise). int8 trades exactness for integer arithmetic: still batch-invariant and the same "
      + "bits at every kernel level, but logits differ from the reference by the rounding (`nightdesk "
      + "compare-precision` measures it). It speeds up prefill and batched decode at every level (compare "
      + "with `nightdesk bench`).",
    valueName: "f32|int8"))
  var activations: ActivationPrecision = .float32
}
