import Foundation
import NightdeskSupport

/// The weights of a Hugging Face folder: `model.safetensors`, or the shards
/// listed in `model.safetensors.index.json` (`{"weight_map": {tensor: file}}`).
public final class SafetensorsCheckpoint: TensorSource {
  public let folder: URL
  /// The shards, by file name.
  public let files: [String: SafetensorsFile]
  private let fileOfTensor: [String: String]

  public var sourceDescription: String { folder.path }

  public init(folder: URL) throws {
    self.folder = folder
    let index = folder.appendingPathComponent("model.safetensors.index.json")
    let single = folder.appendingPathComponent("model.safetensors")
    var files: [String: SafetensorsFile] = [:]
    var owner: [String: String] = [:]
    if FileManager.default.fileExists(atPath: index.path) {
      let json: JSONValue
      do {
        json = try JSONParser.parse(try Data(contentsOf: index))
      } catch {
        throw ModelFileError(.malformed, file: index.path, "cannot read the shard index: \(error)")
      }
      guard let map = json["weight_map"]?.objectValue else {
        throw ModelFileError(.missingKey, file: index.path, key: "weight_map", "the shard index has no 'weight_map' object")
      }
      for (tensor, value) in map.pairs {
        guard let name = value.stringValue, !name.contains("/"), name.hasSuffix(".safetensors") else {
          throw ModelFileError(.malformed, file: index.path, tensor: tensor, "the shard must be a .safetensors file name in this folder")
        }
        if files[name] == nil {
          files[name] = try SafetensorsFile(url: folder.appendingPathComponent(name))
        }
        guard files[name]!.hasTensor(tensor) else {
          throw ModelFileError(.missingTensor, file: folder.appendingPathComponent(name).path, tensor: tensor,
                               "the shard index says this shard holds the tensor, but it does not")
        }
        owner[tensor] = name
      }
    } else if FileManager.default.fileExists(atPath: single.path) {
      let file = try SafetensorsFile(url: single)
      files["model.safetensors"] = file
      for name in file.tensorNames { owner[name] = "model.safetensors" }
    } else {
      throw ModelFileError(.unreadable, file: folder.path,
                           "no model.safetensors or model.safetensors.index.json in this folder")
    }
    self.files = files
    fileOfTensor = owner
  }

  public func hasTensor(_ name: String) -> Bool { fileOfTensor[name] != nil }

  public func tensor(named name: String) throws -> TensorView {
    guard let file = fileOfTensor[name].flatMap({ files[$0] }) else {
      throw ModelFileError(.missingTensor, file: folder.path, tensor: name,
                           "no safetensors file in this folder holds this tensor")
    }
    return try file.tensor(named: name)
  }
}
