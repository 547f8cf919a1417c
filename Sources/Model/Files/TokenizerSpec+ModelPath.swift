import Foundation
import NightdeskTokenizer

extension TokenizerSpec {
  /// The tokenizer of the model at `url`: a `.gguf` file (its `tokenizer.*`
  /// metadata) or a Hugging Face folder (only its tokenizer files are read, so a
  /// folder without weights is fine).
  public init(modelAt url: URL) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw TokenizerError.invalidFile(
        path: url.path, message: "not found; --model takes a Hugging Face model folder or a .gguf file")
    }
    if isDirectory.boolValue {
      try self.init(huggingFaceFolder: url)
    } else if url.pathExtension.lowercased() == "gguf" {
      try self.init(gguf: GGUFFile(url: url))
    } else {
      throw TokenizerError.invalidFile(
        path: url.path, message: "is neither a folder nor a .gguf file; --model takes a Hugging Face model folder or a .gguf file")
    }
  }
}
