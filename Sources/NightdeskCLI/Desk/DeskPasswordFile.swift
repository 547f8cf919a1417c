import Foundation

/// A desk user's password, kept in `FOLDER/USER.password` (mode 600, in a folder of mode
/// 700), as `Ops/redis/make-acl` keeps its users': 64 hex digits, no newline, so the file
/// can go into a URL-less password file or a Kubernetes Secret as it is.
enum DeskPasswordFile {
  static func readOrMake(folder: String, user: String) throws -> String {
    let path = folder + "/" + user + ".password"
    if let existing = FileManager.default.contents(atPath: path) {
      guard let text = String(data: existing, encoding: .utf8), !text.isEmpty else {
        throw CommandFailure("\(path): not a password file (empty or not text); remove it to make a new password")
      }
      return text
    }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                              attributes: [.posixPermissions: 0o700])
      var generator = SystemRandomNumberGenerator()
      let password = (0..<32).map { _ in
        let byte = UInt8.random(in: 0...255, using: &generator)
        return (byte < 16 ? "0" : "") + String(byte, radix: 16)
      }.joined()
      // Created with mode 600 before anything is written, so the password is never readable by others.
      guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
        throw CommandFailure("\(path): cannot create it (check the folder's permissions)")
      }
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      defer { try? handle.close() }
      try handle.write(contentsOf: Data(password.utf8))
      return password
    } catch let failure as CommandFailure {
      throw failure
    } catch {
      throw CommandFailure("\(path): cannot write the password: \(error.localizedDescription)")
    }
  }
}
