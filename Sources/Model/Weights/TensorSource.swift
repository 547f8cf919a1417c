/// Where named weight tensors come from: one GGUF file, or the safetensors
/// file(s) of a Hugging Face folder. Views stay valid while the source lives.
public protocol TensorSource: AnyObject, Sendable {
  /// For error messages: the file or folder the tensors come from.
  var sourceDescription: String { get }
  func hasTensor(_ name: String) -> Bool
  func tensor(named name: String) throws -> TensorView
}

extension GGUFFile: TensorSource {
  public var sourceDescription: String { path }
}

extension SafetensorsFile: TensorSource {
  public var sourceDescription: String { path }
}
