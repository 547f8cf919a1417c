import Foundation
import NightdeskIngest
import NightdeskSupport
import NightdeskTokenizer
import Testing

@Suite struct JobTypeTests {
  @Test func theShippedJobTypesLoad() throws {
    let loaded = JobType.loadAll(folder: IngestFixtures.jobTypes.path)
    #expect(loaded.errors.isEmpty, "\(loaded.errors)")
    #expect(loaded.types.keys.sorted() == ["annual-report", "contract-risk", "news-digest", "social-sentiment"])
    let report = try #require(loaded.types["annual-report"])
    #expect(report.input == .document)
    #expect(report.chunking == ChunkingOptions(targetTokens: 1500, overlapTokens: 150))
    #expect(report.chunking(contextBudget: 6000).contextBudget == 6000)
    #expect(report.thinking == false)
    #expect(report.prompts.questions.map(\.id) == ["metrics", "risks", "outlook"])
    #expect(report.sampling == JobType.Sampling(temperature: 0, topP: 1, seed: 7))
    #expect(loaded.types["news-digest"]?.input == .news)
    #expect(loaded.types["social-sentiment"]?.input == .social)
    #expect(loaded.types["contract-risk"]?.limits.maxChunks == 100)
    // The schema in JSON form, and validation of outputs against it.
    let schema = report.outputSchema
    #expect(schema.json["additionalProperties"] == .bool(false))
    let good: JSONValue = ["company": "Harrowgate Mills plc", "fiscal_year": "2025", "outlook": "recovery",
                           "metrics": [["name": "revenue", "value": 412, "unit": "£m", "period": "FY2025", "page": 1]],
                           "risks": [["risk": "wheat prices", "severity": "high", "page": 3]]]
    #expect(schema.violations(of: good).isEmpty)
    let bad: JSONValue = ["company": "H", "fiscal_year": "2025", "outlook": 3, "extra": true,
                          "metrics": [["name": "revenue", "value": "412", "unit": "£m", "period": "FY2025", "page": 1]],
                          "risks": [["risk": "wheat", "severity": "dire", "page": 3]]]
    #expect(schema.violations(of: bad) == [
      "$.outlook: expected string, found an integer", "$: unexpected \"extra\"",
      "$.metrics[0].value: expected number, found a string",
      "$.risks[0].severity: \"dire\" is not one of [\"low\", \"medium\", \"high\"]",
    ])
  }

  /// The annual-report file with one change, loaded under its own name.
  static func variant(_ change: (String) -> String) throws -> JobTypeError? {
    let original = try String(contentsOf: IngestFixtures.jobTypes.appendingPathComponent("annual-report.yaml"), encoding: .utf8)
    let changed = change(original)
    #expect(changed != original, "the change did not apply")
    do {
      _ = try JobType.parse(yaml: changed, file: "Jobs/types/annual-report.yaml")
      return nil
    } catch {
      return error
    }
  }

  @Test func errorsNameTheFileTheFieldAndTheLine() throws {
    let overlap = try Self.variant { $0.replacingOccurrences(of: "overlap_tokens: 150", with: "overlap_tokens: 900") }
    #expect(overlap?.description == "Jobs/types/annual-report.yaml:7: chunking.overlap_tokens: overlap_tokens must be at most half of target_tokens (got 900 of 1500)")
    let typo = try Self.variant { $0.replacingOccurrences(of: "  long_context: on", with: "  long_contxt: on") }
    #expect(typo?.field == "chunking.long_contxt")
    #expect(typo?.line == 8)
    #expect(typo?.reason.hasPrefix("unknown field") == true)
    let keyword = try Self.variant { $0.replacingOccurrences(of: "fiscal_year:\n      type: string\n      maxLength: 20", with: "fiscal_year:\n      type: string\n      pattern: \"^[0-9]{4}$\"") }
    #expect(keyword?.field == "output_schema.properties.fiscal_year.pattern")
    #expect(keyword?.reason.hasPrefix("unsupported keyword \"pattern\" for type string") == true)
    let open = try Self.variant { $0.replacingOccurrences(of: "required: [company, fiscal_year, metrics, risks, outlook]\n  properties", with: "required: [company]\n  properties").replacingOccurrences(of: "type: object\n  additionalProperties: false", with: "type: object\n  additionalProperties: true") }
    #expect(open?.field == "output_schema.additionalProperties")
    let required = try Self.variant { $0.replacingOccurrences(of: "required: [company, fiscal_year", with: "required: [ceo, fiscal_year") }
    #expect(required?.field == "output_schema.required")
    #expect(required?.reason == "\"ceo\" is not one of the properties")
    let thinking = try Self.variant { $0.replacingOccurrences(of: "thinking: off", with: "thinking: maybe") }
    #expect(thinking?.description == "Jobs/types/annual-report.yaml:9: thinking: expected on or off, found \"maybe\"")
    let input = try Self.variant { $0.replacingOccurrences(of: "input: document", with: "input: video") }
    #expect(input?.reason == "\"video\" is not one of document, news, social")
    let name = try Self.variant { $0.replacingOccurrences(of: "name: annual-report", with: "name: annual") }
    #expect(name?.field == "name")
    let missing = try Self.variant { $0.replacingOccurrences(of: "  synthesis: |", with: "  synthesys: |") }
    #expect(missing?.field == "prompts.synthesis" || missing?.field == "prompts.synthesys")
    let syntax = try Self.variant { $0.replacingOccurrences(of: "  target_tokens: 1500", with: "  target_tokens: [1500") }
    #expect(syntax?.reason.hasPrefix("invalid YAML") == true)
    #expect(syntax?.line != nil)
  }

  @Test func anUnknownTypeNamesTheKnownOnes() {
    #expect(throws: JobTypeError.self) { try JobType.named("nope", folder: IngestFixtures.jobTypes.path) }
    do {
      _ = try JobType.named("nope", folder: IngestFixtures.jobTypes.path)
    } catch {
      #expect(error.reason == "no job type \"nope\" (known: annual-report, contract-risk, news-digest, social-sentiment)")
    }
  }
}

/// The map and reduce requests a job type makes of a document.
@Suite struct JobTypePromptTests {
  @Test func chunkRequestsShareTheChunkAndTheSynthesisCitesTheChunks() throws {
    let type = try JobType.named("annual-report", folder: IngestFixtures.jobTypes.path)
    let tokenizer = try IngestFixtures.qwen()
    let document = try #require(PDFReader.read(IngestFixtures.sample("annual-report-harrowgate-2025.pdf")).documents.first)
    let chunks = Chunker(tokenizer: tokenizer).chunks(of: document, options: ChunkingOptions(targetTokens: 200, overlapTokens: 20))
    #expect(chunks.count > 1)
    let template = ChatTemplate(format: .qwen3)
    let requests = try type.chunkPrompts(for: chunks[1], template: template)
    #expect(requests.count == type.prompts.questions.count)
    #expect(Set(requests.map { $0.prefixTokens(tokenizer) }).count == 1)
    #expect(requests.allSatisfy { $0.chat.text.hasSuffix("<think>\n\n</think>\n\n") })  // thinking: off
    let answers = chunks.map { ChunkAnswer(chunk: $0, questionID: "risks", text: "Wheat prices.") }
    let synthesis = try type.synthesisPrompt(answers: answers, template: template)
    let system = synthesis.messages[0].content
    #expect(system.contains("[chunk 1, risks, pp. 1-2, "))
    #expect(system.contains("5. Principal risks"))
    #expect(synthesis.messages[1].content.contains("\"additionalProperties\": false}"))
  }
}
