import Foundation
import Yams

extension JobType {
  /// Job type files are small; anything larger is a mistake (or an alias bomb).
  public static let maxFileBytes = 256 << 10

  /// The job type in the YAML file at `path`, validated; the error names the file, the
  /// field and its line.
  public static func load(path: String) throws(JobTypeError) -> JobType {
    let text: String
    switch FileBytes.readText(path, limit: maxFileBytes) {
    case .failure(let error): throw JobTypeError(file: path, reason: error.position == .file ? error.reason : error.description)
    case .success(let read): text = read
    }
    return try parse(yaml: text, file: path)
  }

  /// The job type in `yaml`, named `file` in errors (its base name must be the `name`).
  public static func parse(yaml: String, file: String) throws(JobTypeError) -> JobType {
    var fields = try YAMLFields.root(yaml: yaml, file: file)
    let name = try fields.string("name")
    let base = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    guard name == base else { throw fields.error("name", "\"\(name)\" differs from the file's name \"\(base)\"") }
    guard name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
      throw fields.error("name", "use lowercase letters, digits and - only")
    }
    let description = try fields.optionalString("description")
    let inputText = try fields.string("input")
    guard let input = InputFamily(rawValue: inputText) else {
      throw fields.error("input", "\"\(inputText)\" is not one of document, news, social")
    }

    var chunkingFields = try fields.mapping("chunking")
    let target = try chunkingFields.int("target_tokens", in: 16...1_000_000)
    let overlap = try chunkingFields.int("overlap_tokens", in: 0...1_000_000, default: 0)
    let longContext = try chunkingFields.flag("long_context", default: true)
    try chunkingFields.finish()
    let chunking = ChunkingOptions(targetTokens: target, overlapTokens: overlap)
    if let problem = chunking.problem { throw chunkingFields.error("overlap_tokens", problem) }

    let thinking = try fields.flag("thinking", default: false)

    var promptFields = try fields.mapping("prompts")
    let system = try promptFields.string("system")
    var questions: [Question] = []
    for node in try promptFields.sequence("questions") {
      var question = try YAMLFields(node, file: file, path: promptFields.field("questions[\(questions.count)]"))
      let id = try question.string("id")
      let text = try question.string("text")
      try question.finish()
      guard !questions.contains(where: { $0.id == id }) else { throw question.error("id", "\"\(id)\" is used twice") }
      questions.append(Question(id: id, text: text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    guard !questions.isEmpty else { throw promptFields.error("questions", "at least one question is needed") }
    let synthesis = try promptFields.string("synthesis")
    try promptFields.finish()

    let outputSchema = try OutputSchema.parse(try fields.required("output_schema"), file: file, path: "output_schema")
    guard case .object = outputSchema else { throw fields.error("output_schema", "the output must be an object") }

    var samplingFields = try fields.optionalMapping("sampling")
    let sampling = Sampling(
      temperature: try samplingFields?.double("temperature", in: 0...2, default: 0) ?? 0,
      topP: try samplingFields?.double("top_p", in: 0.01...1, default: 1) ?? 1,
      seed: try samplingFields?.optional("seed") == nil ? nil : samplingFields?.int("seed", in: 0...Int(Int32.max)))
    try samplingFields?.finish()

    var limitFields = try fields.optionalMapping("limits")
    let limits = Limits(
      maxTokens: try limitFields?.int("max_tokens", in: 1...32_768, default: 512) ?? 512,
      synthesisMaxTokens: try limitFields?.int("synthesis_max_tokens", in: 1...32_768, default: 1024) ?? 1024,
      maxChunks: try limitFields?.int("max_chunks", in: 1...100_000, default: 400) ?? 400,
      maxInputBytes: try limitFields?.int("max_input_bytes", in: 1...(4 << 30), default: 64 << 20) ?? (64 << 20))
    try limitFields?.finish()
    try fields.finish()

    return JobType(
      name: name, description: description, input: input, chunking: chunking, longContext: longContext,
      thinking: thinking, prompts: Prompts(system: system.trimmingCharacters(in: .whitespacesAndNewlines),
                                           questions: questions, synthesis: synthesis.trimmingCharacters(in: .whitespacesAndNewlines)),
      outputSchema: outputSchema, sampling: sampling, limits: limits, file: file)
  }

  /// Every `*.yaml` of `folder` (`Jobs/types`), by name, and the files that were refused.
  public static func loadAll(folder: String) -> (types: [String: JobType], errors: [JobTypeError]) {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
    } catch {
      return ([:], [JobTypeError(file: folder, reason: "cannot list the folder: \(error.localizedDescription)")])
    }
    var types: [String: JobType] = [:]
    var errors: [JobTypeError] = []
    for name in names {
      do {
        let type = try load(path: (folder as NSString).appendingPathComponent(name))
        types[type.name] = type
      } catch {
        errors.append(error)
      }
    }
    return (types, errors)
  }

  /// The job type called `name` in `folder` (`Jobs/types` unless said otherwise).
  public static func named(_ name: String, folder: String = "Jobs/types") throws(JobTypeError) -> JobType {
    guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
      throw JobTypeError(file: folder, reason: "\"\(name)\" is not a job type name")
    }
    let path = (folder as NSString).appendingPathComponent(name + ".yaml")
    guard FileManager.default.fileExists(atPath: path) else {
      let known = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".yaml") }
        .map { String($0.dropLast(5)) }.sorted().joined(separator: ", ") ?? "none"
      throw JobTypeError(file: path, reason: "no job type \"\(name)\" (known: \(known))")
    }
    return try load(path: path)
  }

  static func line(of error: YamlError) -> Int? {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
    default: return nil
    }
  }

  static func problem(of error: YamlError) -> String {
    switch error {
    case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
      .composer(let context, let problem, _, _):
      return context.map { "\($0.text) \(problem)" } ?? problem
    case .reader(let problem, _, _, _): return problem
    default: return "\(error)"
    }
  }
}
