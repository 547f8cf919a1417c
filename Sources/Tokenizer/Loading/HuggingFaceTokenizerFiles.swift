import Foundation
import NightdeskSupport

extension TokenizerSpec {
  /// Largest tokenizer.json accepted (real ones are 2–20 MB).
  static let maximumFileBytes = 256 << 20

  /// Reads a Hugging Face model folder's `tokenizer.json`, `tokenizer_config.json`
  /// (chat template, BOS/EOS) and, if present, `generation_config.json` (more stop ids).
  public init(huggingFaceFolder folder: URL) throws {
    let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
    let file = HuggingFaceTokenizerFile(path: tokenizerURL.path)
    let root = try file.parse(required: true)!
    self = try file.spec(from: root)

    let configFile = HuggingFaceTokenizerFile(path: folder.appendingPathComponent("tokenizer_config.json").path)
    if let config = try configFile.parse(required: false) {
      try configFile.applyConfig(config, to: &self)
    }
    let generationFile = HuggingFaceTokenizerFile(path: folder.appendingPathComponent("generation_config.json").path)
    if let generation = try generationFile.parse(required: false) {
      try generationFile.applyGenerationConfig(generation, to: &self)
    }
  }
}

/// One JSON file of a Hugging Face folder, with errors that name it and the field.
struct HuggingFaceTokenizerFile {
  let path: String

  func fail(_ message: String) -> TokenizerError { .invalidFile(path: path, message: message) }

  func parse(required: Bool) throws -> JSONValue? {
    guard FileManager.default.fileExists(atPath: path) else {
      if !required { return nil }
      throw fail("not found (a Hugging Face model folder needs tokenizer.json)")
    }
    guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("cannot be opened for reading") }
    defer { try? handle.close() }
    let data = try handle.readToEnd() ?? Data()
    guard data.count <= TokenizerSpec.maximumFileBytes else {
      throw fail("is \(data.count) bytes, more than the \(TokenizerSpec.maximumFileBytes) a tokenizer file may have")
    }
    do {
      return try JSONParser.parse(data)
    } catch let error as JSONParseError {
      throw fail(error.description)
    }
  }

  // MARK: tokenizer.json

  func spec(from root: JSONValue) throws -> TokenizerSpec {
    guard let model = root["model"], model.objectValue != nil else { throw fail("missing the \"model\" object") }
    if let type = model["type"]?.stringValue, type != "BPE" {
      throw TokenizerError.unsupported(path: path, message: "model.type is \(type); only BPE is supported")
    }
    if model["byte_fallback"]?.boolValue == true {
      throw TokenizerError.unsupported(
        path: path, message: "model.byte_fallback is true (SentencePiece-style BPE); only byte-level BPE is supported")
    }
    guard let vocab = model["vocab"]?.objectValue else { throw fail("model.vocab is missing or not an object") }

    var added: [AddedToken] = []
    for (index, entry) in (root["added_tokens"]?.arrayValue ?? []).enumerated() {
      guard let id = entry["id"]?.intValue, let content = entry["content"]?.stringValue else {
        throw fail("added_tokens[\(index)] needs an integer \"id\" and a string \"content\"")
      }
      guard let id32 = Int32(exactly: id), id32 >= 0 else { throw fail("added_tokens[\(index)].id \(id) is out of range") }
      added.append(AddedToken(id: id32, content: content, special: entry["special"]?.boolValue ?? false))
    }

    // Ids may leave gaps; the largest id (of the vocab or an added token) sets the size.
    let maximumTokens = 4_000_000
    var tokens: [String] = []
    tokens.reserveCapacity(vocab.count + added.count)
    var seen: [Bool] = []
    for (token, value) in vocab.pairs {
      guard let id = value.intValue, id >= 0, id < maximumTokens else {
        throw fail("model.vocab[\(token.debugDescription)] is \(value), not a token id in 0..<\(maximumTokens)")
      }
      if id >= tokens.count {
        tokens.append(contentsOf: repeatElement("", count: id + 1 - tokens.count))
        seen.append(contentsOf: repeatElement(false, count: id + 1 - seen.count))
      }
      guard !seen[id] else { throw fail("model.vocab gives id \(id) to two tokens, the second is \(token.debugDescription)") }
      seen[id] = true
      tokens[id] = token
    }
    for token in added where Int(token.id) >= maximumTokens {
      throw fail("added token \(token.content.debugDescription) has id \(token.id), above \(maximumTokens)")
    }
    for token in added where Int(token.id) >= tokens.count {
      tokens.append(contentsOf: repeatElement("", count: Int(token.id) + 1 - tokens.count))
    }
    for token in added { tokens[Int(token.id)] = token.content }

    return TokenizerSpec(
      tokens: tokens, merges: try merges(model["merges"]), addedTokens: added,
      preTokenizer: try preTokenizerKind(root["pre_tokenizer"] ?? .null),
      normalizeNFC: try normalizesNFC(root["normalizer"] ?? .null))
  }

  /// Merges as "left right" strings, from either the string or the [left, right] form.
  private func merges(_ value: JSONValue?) throws -> [String] {
    guard let list = value?.arrayValue else { throw fail("model.merges is missing or not an array") }
    var merges: [String] = []
    merges.reserveCapacity(list.count)
    for (index, entry) in list.enumerated() {
      switch entry {
      case .string(let merge):
        merges.append(merge)
      case .array(let pair):
        guard pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue else {
          throw fail("model.merges[\(index)] is not a pair of token strings")
        }
        merges.append(left + " " + right)
      default:
        throw fail("model.merges[\(index)] is \(entry.kindName), expected \"left right\" or [left, right]")
      }
    }
    return merges
  }

  private func normalizesNFC(_ normalizer: JSONValue) throws -> Bool {
    switch normalizer["type"]?.stringValue {
    case nil where normalizer.isNull: return false
    case "NFC": return true
    case "Sequence":
      let steps = normalizer["normalizers"]?.arrayValue ?? []
      if steps.isEmpty { return false }
      if steps.count == 1 { return try normalizesNFC(steps[0]) }
      fallthrough
    default:
      throw TokenizerError.unsupported(
        path: path, message: "normalizer \(JSONWriter.string(normalizer)); only none or NFC is supported")
    }
  }

  /// Recognises the three pre-tokenizer set-ups Nightdesk implements.
  private func preTokenizerKind(_ value: JSONValue) throws -> PreTokenizerKind {
    let steps: [JSONValue] = value["type"]?.stringValue == "Sequence" ? (value["pretokenizers"]?.arrayValue ?? []) : [value]
    let types = steps.map { $0["type"]?.stringValue ?? "?" }
    let byteLevelSplits = steps.last.map { $0["use_regex"]?.boolValue ?? true } ?? false
    if steps.last?["add_prefix_space"]?.boolValue == true {
      throw TokenizerError.unsupported(
        path: path, message: "pre_tokenizer ByteLevel has add_prefix_space true (a space added before the text)")
    }
    if types == ["ByteLevel"], byteLevelSplits {
      return .gpt2
    }
    if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"]?.boolValue == true, byteLevelSplits {
      return .smollm
    }
    if types == ["Split", "ByteLevel"], !byteLevelSplits, steps[0]["pattern"]?["Regex"]?.stringValue == Self.qwen2Pattern {
      return .qwen2
    }
    if types == ["Split", "ByteLevel"], !byteLevelSplits, steps[0]["pattern"]?["Regex"]?.stringValue == Self.llama3Pattern {
      return .llama3
    }
    throw TokenizerError.unsupported(
      path: path,
      message: "pre_tokenizer \(JSONWriter.string(value).prefix(300)); supported are Qwen2's or Llama 3's Split regex + ByteLevel, "
        + "GPT-2's ByteLevel, and Digits(individual) + ByteLevel (SmolLM)")
  }

  static let llama3Pattern =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

  static let qwen2Pattern =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

  // MARK: tokenizer_config.json and generation_config.json

  func applyConfig(_ config: JSONValue, to spec: inout TokenizerSpec) throws {
    switch config["chat_template"] {
    case .string(let template)?:
      spec.chatTemplate = template
    case .array(let named)?:
      // Some models store several named templates; "default" is the chat one.
      spec.chatTemplate = named.first { $0["name"]?.stringValue == "default" }?["template"]?.stringValue
    default:
      break
    }
    spec.bosTokenID = try tokenID(config["bos_token"], field: "bos_token", in: spec)
    spec.eosTokenID = try tokenID(config["eos_token"], field: "eos_token", in: spec)
    spec.padTokenID = try tokenID(config["pad_token"], field: "pad_token", in: spec)
    if let addBOS = config["add_bos_token"]?.boolValue { spec.addBOS = addBOS }
  }

  /// A special-token field: null, a token string, or {"content": string}.
  private func tokenID(_ value: JSONValue?, field: String, in spec: TokenizerSpec) throws -> Int32? {
    guard let value, !value.isNull else { return nil }
    guard let content = value.stringValue ?? value["content"]?.stringValue else {
      throw fail("\(field) is \(value.kindName), expected a token string")
    }
    if let added = spec.addedTokens.first(where: { $0.content == content }) { return added.id }
    if let id = spec.tokens.firstIndex(of: content) { return Int32(id) }
    throw fail("\(field) \(content.debugDescription) is not a token of tokenizer.json")
  }

  func applyGenerationConfig(_ config: JSONValue, to spec: inout TokenizerSpec) throws {
    let ids: [JSONValue]
    switch config["eos_token_id"] {
    case nil, .null?: return
    case .array(let list)?: ids = list
    case let single?: ids = [single]
    }
    for value in ids {
      guard let id = value.intValue, let id32 = Int32(exactly: id), id32 >= 0, Int(id32) < spec.tokens.count else {
        throw fail("eos_token_id \(value) is not a token id below \(spec.tokens.count)")
      }
      if spec.eosTokenID == nil { spec.eosTokenID = id32 }
      if id32 != spec.eosTokenID, !spec.extraStopTokenIDs.contains(id32) { spec.extraStopTokenIDs.append(id32) }
    }
  }
}
