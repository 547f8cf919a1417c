import Foundation

/// Identities of model weights: path, size and mtime of each weight file —
/// free to compute, and good for prefix-cache keys within a machine.
public enum ModelIdentity {
  public static func quick(url: URL) throws -> String {
    let files = try weightFiles(url: url)
    let parts = try files.map { file -> String in
      let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
      let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
      let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      return "\(file.standardizedFileURL.path)|\(size)|\(Int64(mtime * 1000))"
    }
    return parts.joined(separator: ";")
  }

  static func weightFiles(url: URL) throws -> [URL] {
    guard ModelLoader.isDirectory(url) else { return [url] }
    let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
      .filter { $0.hasSuffix(".safetensors") || $0 == "config.json" }
      .sorted()
    return names.map { url.appendingPathComponent($0) }
  }
}
