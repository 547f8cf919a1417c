import NightdeskSupport
import Testing

/// `--kv-memory` and its siblings: sizes in decimal and binary units, and refusals that say what was wrong.
@Suite struct ByteCountTests {
  @Test(arguments: [("4096", 4096), ("512MiB", 536_870_912), ("2GiB", 2_147_483_648), ("1.5GB", 1_500_000_000),
                    ("64 kib", 65_536), ("3k", 3000), ("0", 0), (" 1TiB ", 1_099_511_627_776)])
  func parsesSizes(text: String, bytes: Int) throws {
    #expect(try ByteCount.parse(text) == bytes)
  }

  @Test(arguments: ["", "MiB", "-1GiB", "2 parsecs", "1.2.3", "9e18", "99999999999TiB"])
  func refusesWhatIsNotASize(text: String) {
    #expect { try ByteCount.parse(text) } throws: { error in
      "\(error)".contains("'\(text)' is not a size")
    }
  }

  @Test func formatsInBinaryUnits() {
    #expect(ByteCount.format(512) == "512 B")
    #expect(ByteCount.format(1536) == "1.50 KiB")
    #expect(ByteCount.format(2_147_483_648) == "2.00 GiB")
  }
}
