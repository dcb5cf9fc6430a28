/// Finds YAML anchors (`&name`) and aliases (`*name`) before the text reaches the YAML library.
///
/// Yams composes aliases as shared nodes, but its duplicate-key check hashes every mapping key, so
/// an aliased collection used as a key (a "billion laughs" key) takes exponential time inside
/// `compose` itself, before any bound of ours could run. The schedule file has `defaults:` for
/// sharing settings, so anchors and aliases are refused outright.
///
/// This is a small lexical scan: an anchor or alias can only start where a YAML node starts (at
/// the start of a line after indentation and `- `/`? `, after `: `, and after `[`, `{`, `,` in flow
/// context); quoted scalars, comments and block scalars are skipped.
enum YAMLAliasScanner {
    struct Finding: Equatable {
        var line: Int
        var column: Int
        var token: String
    }

    /// The first anchor or alias in `text`, if any.
    static func firstAnchorOrAlias(in text: String) -> Finding? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        var flowDepth = 0
        var blockScalarIndent: Int?  // skipping block scalar lines indented more than this
        var quote: Unicode.Scalar?  // inside a quoted scalar spanning lines
        var atNodeStart = true  // carried across lines in flow context, where a node may start a line
        for (lineIndex, line) in lines.enumerated() {
            let indent = line.prefix { $0 == " " }.count
            if let parent = blockScalarIndent {
                if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) || indent > parent { continue }
                blockScalarIndent = nil
            }
            var i = 0
            if quote != nil {
                atNodeStart = false
            } else if flowDepth == 0 {
                atNodeStart = true
                i = indent
                if i < line.count, line[i] == "%" && i == 0 { continue }  // directive
                // Document markers: a node may follow `--- ` on the same line.
                if i == 0, line.count >= 3, line[0] == line[1], line[1] == line[2], line[0] == "-" || line[0] == ".",
                    line.count == 3 || line[3] == " " || line[3] == "\t" || line[3] == "\r"
                {
                    i = 3
                }
            }
            while i < line.count {
                let c = line[i]
                if let open = quote {
                    if open == "\"" && c == "\\" { i += 2; continue }
                    if c == open {
                        if open == "'" && i + 1 < line.count && line[i + 1] == "'" { i += 2; continue }
                        quote = nil
                    }
                    i += 1
                    continue
                }
                if c == " " || c == "\t" || c == "\r" { i += 1; continue }
                if c == "#" && (i == 0 || line[i - 1] == " " || line[i - 1] == "\t") { break }
                if atNodeStart {
                    switch c {
                    case "&", "*":
                        if i + 1 < line.count, !" \t\r,[]{}".unicodeScalars.contains(line[i + 1]) {
                            var end = i + 1
                            while end < line.count, !" \t\r,[]{}".unicodeScalars.contains(line[end]) { end += 1 }
                            return Finding(line: lineIndex + 1, column: i + 1, token: String(String.UnicodeScalarView(line[i..<end])))
                        }
                        atNodeStart = false
                        i += 1
                    case "'", "\"":
                        quote = c
                        atNodeStart = false
                        i += 1
                    case "-", "?", ":":
                        // An indicator followed by a space starts a new node; otherwise a plain scalar.
                        if i + 1 >= line.count || line[i + 1] == " " || line[i + 1] == "\t" {
                            i += 1
                        } else {
                            atNodeStart = false
                        }
                    case "[", "{":
                        flowDepth += 1
                        i += 1
                    case "]", "}":
                        flowDepth = max(0, flowDepth - 1)
                        atNodeStart = false
                        i += 1
                    case ",":
                        i += 1
                    case "|", ">":
                        if flowDepth == 0 { blockScalarIndent = indent }
                        i = line.count
                    case "!":
                        // A tag; the node itself follows it.
                        while i < line.count, line[i] != " " { i += 1 }
                    default:
                        atNodeStart = false
                    }
                    continue
                }
                // Inside a plain scalar or after a closed node: look for what starts the next node.
                if c == ":" && (i + 1 >= line.count || line[i + 1] == " " || line[i + 1] == "\t" || (flowDepth > 0 && ",[]{}".unicodeScalars.contains(line[i + 1]))) {
                    atNodeStart = true
                } else if flowDepth > 0 && (c == "," || c == "[" || c == "{") {
                    if c != "," { flowDepth += 1 }
                    atNodeStart = true
                } else if flowDepth > 0 && (c == "]" || c == "}") {
                    flowDepth = max(0, flowDepth - 1)
                } else if flowDepth > 0 && (c == "'" || c == "\"") && i > 0 && ",[{: ".unicodeScalars.contains(line[i - 1]) {
                    quote = c
                }
                i += 1
            }
        }
        return nil
    }
}
