import Foundation

/// A `multipart/form-data` body (RFC 7578) split into its fields: what `POST /v1/files`
/// receives from OpenAI's clients and from `curl -F`.
struct MultipartForm {
  struct Part {
    var name: String
    var filename: String?
    var content: ArraySlice<UInt8>
  }

  var parts: [Part]

  func part(_ name: String) -> Part? { parts.first { $0.name == name } }

  func text(_ name: String) -> String? {
    part(name).map { String(decoding: $0.content, as: UTF8.self) }
  }

  /// The boundary of a `Content-Type: multipart/form-data; boundary=...` header.
  static func boundary(contentType: String?) -> String? {
    guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
    for parameter in contentType.split(separator: ";").dropFirst() {
      let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if pair.count == 2, pair[0].lowercased() == "boundary" {
        let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2
          ? String(pair[1].dropFirst().dropLast()) : pair[1]
        return value.isEmpty ? nil : value
      }
    }
    return nil
  }

  init(body: [UInt8], boundary: String) throws(APIError) {
    let delimiter = Array(("--" + boundary).utf8)
    let separator = Array(("\r\n--" + boundary).utf8)
    guard body.starts(with: delimiter) else {
      throw .invalidRequest("the multipart body does not start with its boundary")
    }
    var parts: [Part] = []
    var position = delimiter.count
    while true {
      // After a delimiter: "--" ends the body, CRLF starts a part.
      if body[position...].starts(with: [0x2D, 0x2D]) { break }
      guard body[position...].starts(with: [0x0D, 0x0A]) else { throw .invalidRequest("malformed multipart body") }
      position += 2
      guard let headerEnd = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: position) else {
        throw .invalidRequest("a multipart part has no end to its headers")
      }
      let headers = String(decoding: body[position..<headerEnd], as: UTF8.self)
      let contentStart = headerEnd + 4
      guard let contentEnd = Self.find(separator, in: body, from: contentStart) else {
        throw .invalidRequest("a multipart part is not closed by its boundary")
      }
      guard let name = Self.dispositionParameter("name", in: headers) else {
        throw .invalidRequest("a multipart part has no Content-Disposition name")
      }
      parts.append(Part(name: name, filename: Self.dispositionParameter("filename", in: headers),
                        content: body[contentStart..<contentEnd]))
      position = contentEnd + separator.count
    }
    self.parts = parts
  }

  static func dispositionParameter(_ key: String, in headers: String) -> String? {
    for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
      for item in line.split(separator: ";").dropFirst() {
        let pair = item.split(separator: "=", maxSplits: 1)
        guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
        var value = pair[1].trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        return value
      }
    }
    return nil
  }

  static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard let first = needle.first, haystack.count >= needle.count else { return nil }
    var index = start
    while index <= haystack.count - needle.count {
      if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return index }
      index += 1
    }
    return nil
  }
}
