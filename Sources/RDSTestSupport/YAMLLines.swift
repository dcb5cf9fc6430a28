/// Line counting as YAML does it, for tests that check every rejection points into the file.
public enum YAMLLines {
    /// Lines as YAML counts them: CR LF, a lone CR, LF, NEL, LS and PS each end one.
    public static func count(_ text: String) -> Int {
        var lines = 1
        var afterCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if !afterCR { lines += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
            default: break
            }
            afterCR = scalar == "\r"
        }
        return lines
    }
}
