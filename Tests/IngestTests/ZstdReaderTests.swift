import Foundation
import NightdeskIngest
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `.zst` dumps read as they are decompressed (no temporary file): real files made by
/// Debian's `zstd` (installed by Ops/setup), compared with the plain files they hold.
@Suite struct ZstdReaderTests {
  /// `zstd` over `paths` into `output` (several inputs: one frame each, concatenated).
  static func compress(_ paths: [String], to output: String, level: String = "-3") throws {
    let zstd = ["/usr/bin/zstd", "/bin/zstd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let binary = try #require(zstd, "zstd is missing: run Ops/setup (Debian's zstd)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["-q", level, "-c"] + paths
    try Data().write(to: URL(fileURLWithPath: output))
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
  }

  static func copy(_ sample: String, compressedAs name: String) throws -> String {
    let folder = try TestPaths.temporaryDirectory("zstd")
    let path = folder.appendingPathComponent(name).path
    try compress([IngestFixtures.sample(sample)], to: path)
    return path
  }

  /// What a reader made, without the source path (which differs between the two files).
  static func content(_ result: ReadResult) -> [String] {
    result.documents.map { ($0.title ?? "") + "|" + $0.text + "|" + $0.metadata.sorted { $0.key < $1.key }.description }
  }

  @Test func newsAndSocialDumpsReadTheSameCompressed() throws {
    for (sample, family) in [("news-2026-11-27.jsonl", InputFamily.news), ("social-novapay-2026-11-27.jsonl", .social),
                             ("social-novapay-2026-11-27.json", .social)] {
      let compressed = try Self.copy(sample, compressedAs: sample + ".zst")
      let plain = DocumentReader().read(IngestFixtures.sample(sample), family: family)
      let read = DocumentReader().read(compressed, family: family)
      #expect(read.errors.isEmpty, "\(sample): \(read.errors)")
      #expect(!plain.documents.isEmpty && Self.content(read) == Self.content(plain), "\(sample)")
    }
    // Without a family, as `nightdesk ingest` reads: the first line decides news or posts.
    let news = try Self.copy("news-2026-11-27.jsonl", compressedAs: "day.jsonl.zst")
    #expect(DocumentReader().read(news).documents.count == 4)
  }

  @Test func concatenatedFramesReadAsOneStream() throws {
    let folder = try TestPaths.temporaryDirectory("zstd")
    let path = folder.appendingPathComponent("two.jsonl.zst").path
    let sample = IngestFixtures.sample("news-2026-11-27.jsonl")
    try Self.compress([sample, sample], to: path)
    let read = NewsJSONLReader.read(path)
    #expect(read.errors.isEmpty, "\(read.errors)")
    #expect(read.documents.count == 8)
  }

  @Test func aCorruptOrTruncatedFrameIsNamedWithItsOffset() throws {
    let path = try Self.copy("news-2026-11-27.jsonl", compressedAs: "news.jsonl.zst")
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let truncated = path.replacingOccurrences(of: "news.jsonl", with: "cut.jsonl")
    try Data(bytes[0..<(bytes.count - 20)]).write(to: URL(fileURLWithPath: truncated))
    let cut = NewsJSONLReader.read(truncated)
    #expect(cut.errors.map(\.description).contains {
      $0.hasPrefix("\(truncated): cannot read it: corrupt zstd data at compressed byte \(bytes.count - 20) (after ")
        && $0.hasSuffix("bytes out): the file ends inside a frame (truncated)")
    }, "\(cut.errors)")

    // A frame header no zstd writes.
    bytes[4] = 0xFF
    bytes[5] = 0xFF
    let corrupt = path.replacingOccurrences(of: "news.jsonl", with: "bad.jsonl")
    try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
    let bad = NewsJSONLReader.read(corrupt)
    #expect(bad.documents.isEmpty)
    #expect(bad.errors.count == 1 && bad.errors[0].description.hasPrefix(
      "\(corrupt): cannot read it: corrupt zstd data at compressed byte 0 (after 0 bytes out): "), "\(bad.errors)")

    // Not zstd at all.
    let plain = path.replacingOccurrences(of: "news.jsonl", with: "plain.jsonl")
    try Data(contentsOf: URL(fileURLWithPath: IngestFixtures.sample("news-2026-11-27.jsonl"))).write(to: URL(fileURLWithPath: plain))
    #expect(NewsJSONLReader.read(plain).errors.first?.description.contains("Unknown frame descriptor") == true)
  }

  @Test func onlyStreamedKindsAreReadCompressed() throws {
    let path = try Self.copy("annual-report-harrowgate-2025.txt", compressedAs: "report.txt.zst")
    let read = DocumentReader().read(path)
    #expect(read.documents.isEmpty)
    #expect(read.errors.first?.reason.hasPrefix("unknown kind of file") == true, "\(read.errors)")
  }

  @Test func aLargeDumpOfManyBlocksStreamsThroughWhole() throws {
    let folder = try TestPaths.temporaryDirectory("zstd")
    let plain = folder.appendingPathComponent("big.jsonl").path
    // 16 MiB of posts, about 20,000 lines: many of zstd's 128 KiB blocks.
    let post = #"{"id": "ID", "author": "reader", "text": "TEXT"}"#
    let filler = String(repeating: "Harrowgate Mills flour prices and the wheat harvest. ", count: 15)
    FileManager.default.createFile(atPath: plain, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: plain))
    var written = 0
    var lines = 0
    while written < 16 << 20 {
      var block = ""
      for _ in 0..<1000 {
        lines += 1
        block += post.replacingOccurrences(of: "ID", with: "p\(lines)").replacingOccurrences(of: "TEXT", with: filler) + "\n"
      }
      try handle.write(contentsOf: Data(block.utf8))
      written += block.utf8.count
    }
    try handle.close()
    let path = plain + ".zst"
    try Self.compress([plain], to: path)
    try FileManager.default.removeItem(atPath: plain)
    // Memory is a benchmark's figure, not a unit test's: resident memory here is the whole
    // test process, with other suites running beside this one. This checks that a dump of
    // many decompression blocks streams through whole, post by post.
    var count = 0
    let errors = SocialReader.readJSONL(path) { _ in count += 1 }
    #expect(errors.isEmpty, "\(errors.prefix(3))")
    #expect(count == lines)
  }
}
