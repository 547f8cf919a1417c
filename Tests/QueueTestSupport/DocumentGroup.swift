import NightdeskQueue
import NightdeskRequests
import NightdeskSupport

/// A document's map-reduce group as `submit --type` makes it: `chunks` chunk jobs (one
/// question each), then the synthesis job.
/// `typeFile` is recorded as `submit --type` records the type's file (the report checks results against its schema).
public func documentGroup(_ id: String, chunks: Int, maxAttempts: Int = 3, jobType: String = "test",
                          typeFile: String? = nil) -> [JobSpec] {
  var specs = (0..<chunks).map { index -> JobSpec in
    var spec = chatJob("What does chunk \(index) say?", document: "Chunk \(index) of \(id).", maxAttempts: maxAttempts,
                       customID: "doc/chunk\(index + 1)/q")
    spec.group = JobGroup(id: id, role: .chunk)
    spec.document = ["source": .string("\(id).txt"), "job_type": .string(jobType),
                     "chunk": ["index": .int(Int64(index)), "count": .int(Int64(chunks)), "pages": [.int(Int64(index + 1)), .int(Int64(index + 1))], "sections": ["Risks"]]]
    return spec
  }
  var synthesis = chatJob("Synthesise.", document: "", maxAttempts: maxAttempts, customID: "doc/synthesis")
  synthesis.kind = .synthesis
  synthesis.group = JobGroup(id: id, role: .synthesis)
  synthesis.document = ["source": .string("\(id).txt"), "job_type": .string(jobType), "chunks": .int(Int64(chunks))]
  specs.append(synthesis)
  guard let typeFile else { return specs }
  return specs.map { spec in
    var spec = spec
    var document = spec.document?.objectValue ?? JSONObject()
    document["type_file"] = .string(typeFile)
    spec.document = .object(document)
    return spec
  }
}

/// How many times `job` was put in a stream by its group's last chunk (`queued` events).
public func groupQueuedEvents(_ queue: QueueClient, job: String) throws -> Int {
  let events = try queue.redis.command("XRANGE", queue.keys.events, "-", "+").array ?? []
  return events.filter { event in
    let fields = (event.array?.last?.array ?? []).compactMap(\.string)
    return zip(fields, fields.dropFirst()).contains { $0 == "event" && $1 == "queued" } && fields.contains(job)
  }.count
}
