@testable import NightdeskIngest
import NightdeskTokenizer
import PropertyBased
import Testing

/// Chunking by tokens: fixed cases with the real tokenizer, and invariants under random documents.
@Suite struct ChunkerTests {
  /// A document of `sizes.count` paragraphs; paragraph i has sizes[i] words, on page i / 3 + 1.
  static func document(_ sizes: [Int]) -> Document {
    var sections: [Section] = []
    for (index, size) in sizes.enumerated() {
      if index % 4 == 0 { sections.append(Section(title: "Part \(index / 4 + 1)")) }
      let words = (0..<size).map { "w\(index)x\($0)" }
      // Some paragraphs are one long sentence, some many short ones.
      let text = index % 2 == 0 ? words.joined(separator: " ") : stride(from: 0, to: words.count, by: 5)
        .map { words[$0..<min($0 + 5, words.count)].joined(separator: " ") + "." }.joined(separator: " ")
      let location = SourceLocation(page: index / 3 + 1, section: sections[sections.count - 1].title, line: index + 1)
      sections[sections.count - 1].paragraphs.append(Paragraph(text, at: location))
    }
    return Document(source: "generated", kind: .pdf, title: nil, sections: sections)
  }

  /// One token per word: the invariants do not depend on the tokenizer.
  static let words = Chunker { text in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count }

  static func violations(_ sizes: [Int], target: Int, overlap: Int) -> [String] {
    let document = document(sizes)
    let options = ChunkingOptions(targetTokens: target, overlapTokens: overlap)
    let chunks = words.chunks(of: document, options: options)
    let paragraphs = document.paragraphs
    var problems: [String] = []
    // Every word of the document is in some chunk, in order, and the chunks' words in
    // order are the document's words with only the overlaps repeated.
    let documentWords = document.text.split(whereSeparator: { $0 == " " || $0 == "\n" })
    // Words are unique, so a chunk's place in the document is where its first word is.
    let position = Dictionary(uniqueKeysWithValues: documentWords.enumerated().map { ($1, $0) })
    var covered = 0
    var previousStart = -1
    for (index, chunk) in chunks.enumerated() {
      let chunkWords = chunk.text.split(whereSeparator: { $0 == " " || $0 == "\n" })
      guard let first = chunkWords.first, let start = position[first] else {
        problems.append("chunk \(index) is empty or not from the document")
        break
      }
      if Array(documentWords[start..<min(start + chunkWords.count, documentWords.count)]) != chunkWords {
        problems.append("chunk \(index) is not a run of the document's words")
      }
      if start > covered { problems.append("chunk \(index) leaves out words \(covered)..<\(start)") }
      if start <= previousStart { problems.append("chunk \(index) does not advance") }
      if covered - start > overlap { problems.append("chunk \(index) repeats \(covered - start) words, overlap is \(overlap)") }
      previousStart = start
      covered = start + chunkWords.count
      // The target holds (the separator between paragraphs counts no words here).
      if chunk.tokenCount > target { problems.append("chunk \(index) has \(chunk.tokenCount) tokens, target \(target)") }
      if chunk.tokenCount != chunkWords.count { problems.append("chunk \(index) counts \(chunk.tokenCount) tokens for \(chunkWords.count) words") }
      // Locations: one per piece, each that of a paragraph in the chunk's range, in order.
      let expected = paragraphs[chunk.paragraphs].map(\.location)
      if Set(chunk.locations) != Set(expected) { problems.append("chunk \(index) has locations \(chunk.locations), expected \(expected)") }
      let pages = expected.compactMap(\.page)
      if chunk.pages != pages.min().map({ $0...pages.max()! }) { problems.append("chunk \(index) pages \(String(describing: chunk.pages))") }
      // Word "w<i>x<j>" is in paragraph i: the range names the paragraphs the chunk starts and ends in.
      if !chunkWords.first!.hasPrefix("w\(chunk.paragraphs.lowerBound)x") || !chunkWords.last!.hasPrefix("w\(chunk.paragraphs.upperBound)x") {
        problems.append("chunk \(index) spans \(chunkWords.first!)...\(chunkWords.last!), range \(chunk.paragraphs)")
      }
      if chunk.index != index { problems.append("chunk \(index) is numbered \(chunk.index)") }
    }
    if covered != documentWords.count { problems.append("the chunks cover \(covered) of \(documentWords.count) words") }
    return problems
  }

  @Test func invariantsHoldForRandomDocuments() async {
    await propertyCheck(count: 150, input: Gen.int(in: 1...120).array(of: 1...30), Gen.int(in: 16...200), Gen.int(in: 0...100)) {
      sizes, target, overlapPercent in
      let overlap = target * overlapPercent / 200  // at most half the target
      let problems = Self.violations(sizes, target: target, overlap: overlap)
      #expect(problems.isEmpty, "sizes \(sizes) target \(target) overlap \(overlap): \(problems.prefix(3))")
    }
  }

  @Test func theOverlapIsTheLongestTailThatFits() {
    // Pieces of 10 tokens, separators of 1: a chunk holds 4 (43 ≤ 45); 21 ≤ 25 carries two back.
    let ranges = Chunker.ranges(tokens: Array(repeating: 10, count: 10), separator: 1, target: 45, overlap: 25)
    #expect(ranges == [0..<4, 2..<6, 4..<8, 6..<10])
    #expect(Chunker.ranges(tokens: [50, 5, 5], separator: 0, target: 20, overlap: 10) == [0..<1, 1..<3])
    #expect(Chunker.ranges(tokens: [], separator: 0, target: 20, overlap: 10) == [])
  }

  @Test func aDocumentThatFitsTheContextIsOneChunk() throws {
    let tokenizer = try IngestFixtures.qwen()
    let chunker = Chunker(tokenizer: tokenizer)
    let document = try #require(PDFReader.read(IngestFixtures.sample("annual-report-harrowgate-2025.pdf")).documents.first)
    let whole = tokenizer.encode(document.text, allowSpecial: false).count
    let one = chunker.chunks(of: document, options: ChunkingOptions(targetTokens: 64, overlapTokens: 16, contextBudget: whole))
    #expect(one.count == 1)
    #expect(one.first?.text == document.text)
    #expect(one.first?.tokenCount == whole)
    #expect(one.first?.pages == 1...4)
    let many = chunker.chunks(of: document, options: ChunkingOptions(targetTokens: 64, overlapTokens: 16, contextBudget: whole - 1))
    #expect(many.count > 4)
    for chunk in many {
      #expect(chunk.tokenCount <= 64 + 2, "chunk \(chunk.index): \(chunk.tokenCount) tokens")
      #expect(chunk.pages != nil)
    }
    // The risks paragraph is cited with its page and section wherever it lands.
    let risky = try #require(many.first { $0.text.contains("three principal risks") })
    #expect(risky.pages?.contains(3) == true)
    #expect(risky.sections.contains("5. Principal risks"))
  }

  @Test func aParagraphLongerThanAChunkIsCutAtSentencesThenWords() {
    let sentence = (0..<12).map { "word\($0)" }.joined(separator: " ") + ". "
    let paragraph = String(repeating: sentence, count: 5) + (0..<40).map { "x\($0)" }.joined()  // a 40-word run without spaces
    let pieces = Self.words.split(paragraph, target: 20)
    #expect(pieces.joined() == paragraph)
    #expect(pieces.allSatisfy { Self.words.countTokens($0) <= 20 })
  }
}
