import NightdeskTokenizer
import Testing

/// Text routed piece by piece adds up, on each side, to what `ThinkingSplit` gives for
/// the whole text, wherever the pieces are cut.
struct ThinkingStreamTests {
  static let texts = [
    "<think>\nThe user asks for the capital.\n\n</think>\n\nParis is the capital.",
    "\n <think>\n\nplan: a\nb\n</think>answer\n\nwith lines\n",
    "<think>\n\n</think>\n\nOnly an answer.",
    "<think>\nCut off while thinking\n\n",
    "<think>never closed, with a partial </thi",
    "A plain answer, no block at all: 3 < 4 and <b>bold</b>.",
    "  <thin is not the tag",
    "<th",
    "\n\n",
    "Paris: 巴黎 🗼 é",
  ]

  @Test func piecesAddUpToTheWholeSplit() {
    for text in Self.texts {
      let whole = ThinkingSplit(generated: text)
      let characters = Array(text)
      // Every cut into two pieces, and pieces of one character.
      var cuts: [[Int]] = (0...characters.count).map { [$0] }
      cuts.append(Array(0...characters.count))
      for cut in cuts {
        var stream = ThinkingStream()
        var reasoning = ""
        var answer = ""
        var start = 0
        for end in cut + [characters.count] where end >= start {
          let piece = stream.append(String(characters[start..<end]))
          reasoning += piece.reasoning
          answer += piece.answer
          start = end
        }
        let tail = stream.finish()
        reasoning += tail.reasoning
        answer += tail.answer
        #expect(answer == whole.answer, "\(text.debugDescription) cut at \(cut)")
        #expect(reasoning == (whole.reasoning ?? ""), "\(text.debugDescription) cut at \(cut)")
      }
    }
  }

  /// Text that cannot change side is released at once, not held to the end.
  @Test func releasesAsSoonAsTheSideIsKnown() {
    var stream = ThinkingStream()
    #expect(stream.append("<think>\nweighing").reasoning == "weighing")
    #expect(stream.append(" options\n").reasoning == " options")
    let closed = stream.append("</think>\n\nThe ans")
    #expect(closed.reasoning == "" && closed.answer == "The ans")
    var plain = ThinkingStream()
    #expect(plain.append("Hello").answer == "Hello")
  }
}
