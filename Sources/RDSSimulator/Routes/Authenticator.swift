import Foundation
import RDSClient

/// The API gateway's check in front of RDS: a live project token, or a valid AK/SK signature.
///
/// Codes (docs/rds-api.md §5.3): bad/unknown/expired token and failed AK/SK verification → 401
/// APIG.0301 (the latter as Huawei words it, "verify aksk signature fail"; UNCONFIRMED for OTC);
/// X-Sdk-Date more than 15 min off → 401 APIG.0303; a revoked token → 401 APIG.0307.
enum Authenticator {
    static let iamPrefix = "Incorrect IAM authentication information: "

    /// nil when the request may pass, else the gateway's refusal.
    static func authenticate(_ state: inout SimState, _ exchange: Exchange, projectID: String) -> SimResponse? {
        let request = exchange.request
        let requestID = exchange.plan.requestID
        func refuse(_ code: String, _ message: String) -> SimResponse {
            .gatewayError(401, code, message, requestID: requestID)
        }

        if let token = request.header("X-Auth-Token") {
            state.setAuth(.token, at: exchange.plan.index)
            guard let record = state.tokens[token] else {
                return refuse("APIG.0301", iamPrefix + "decrypt token fail")
            }
            if record.revoked {
                return refuse("APIG.0307", "The token must be updated.")
            }
            if exchange.now >= record.expiresAt {
                return refuse("APIG.0301", iamPrefix + "token expired")
            }
            guard record.projectID == projectID, projectID == state.configuration.projectID else {
                return refuse("APIG.0301", iamPrefix + "the token is not scoped to project \(projectID)")
            }
            return nil
        }

        if let authorization = request.header("Authorization"), authorization.hasPrefix("SDK-HMAC-SHA256 ") {
            state.setAuth(.akSk, at: exchange.plan.index)
            return verifySignature(authorization, state: state, exchange: exchange, projectID: projectID, refuse: refuse)
        }

        return refuse("APIG.0301", iamPrefix + "no X-Auth-Token or AK/SK Authorization header")
    }

    private static func verifySignature(
        _ authorization: String, state: SimState, exchange: Exchange, projectID: String,
        refuse: (String, String) -> SimResponse
    ) -> SimResponse? {
        let request = exchange.request
        let signFailed = refuse("APIG.0301", iamPrefix + "verify aksk signature fail")

        // "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"; an AK may contain spaces, not commas.
        var fields: [String: String] = [:]
        for part in authorization.dropFirst("SDK-HMAC-SHA256 ".count).split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            fields[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        guard let accessKey = fields["Access"], let signedList = fields["SignedHeaders"],
            let signature = fields["Signature"], !signedList.isEmpty
        else { return signFailed }

        guard let key = state.configuration.accessKeys.first(where: { $0.accessKey == accessKey })
            ?? state.agencyPairs.values.first(where: { $0.accessKey == accessKey })
        else {
            return refuse("APIG.0301", iamPrefix + "access key \(accessKey) does not exist")
        }
        if let expiresAt = key.expiresAt, exchange.now >= expiresAt {
            return refuse("APIG.0301", iamPrefix + "security token expired")
        }
        if let expected = key.securityToken {
            guard request.header("X-Security-Token") == expected.reveal() else {
                return refuse("APIG.0301", iamPrefix + "security token missing or invalid for a temporary access key")
            }
        }

        guard let dateText = request.header("X-Sdk-Date"), let date = TimeFormat.parseSDKDate(dateText) else {
            return refuse("APIG.0303", "Incorrect app authentication information: X-Sdk-Date missing or malformed")
        }
        guard abs(date.timeIntervalSince(exchange.now)) <= state.configuration.maxClockSkew else {
            return refuse(
                "APIG.0303",
                "Incorrect app authentication information: X-Sdk-Date is more than 15 minutes off the server time")
        }

        var signedHeaders: [(name: String, value: String)] = []
        for name in signedList.split(separator: ";") {
            guard let value = request.header(String(name)) else { return signFailed }
            signedHeaders.append((name: String(name), value: value))
        }
        let canonical = SDKSigner.canonicalRequest(
            method: request.method, path: request.rawPath, query: request.query, headers: signedHeaders,
            body: request.body)
        let expected = SDKSigner.signature(canonicalRequest: canonical, sdkDate: dateText, secretKey: key.secretKey)
        guard constantTimeEqual(expected, signature.lowercased()) else { return signFailed }

        guard projectID == state.configuration.projectID else {
            return refuse("APIG.0301", iamPrefix + "the access key has no access to project \(projectID)")
        }
        return nil
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
