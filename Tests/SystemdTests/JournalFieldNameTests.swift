import Testing

@testable import Systemd

@Suite struct JournalFieldNameTests {
    @Test(arguments: [
        "MESSAGE_ID", "RDS_INSTANCE_ID", "RDS_BACKUP_NAME", "RDS_BACKUP_ID", "RDS_SLOT", "RDS_ATTEMPT",
        "RDS_ERROR_CODE", "RDS_REQUEST_ID", "RDS_ENTRY",
    ])
    func journalFieldNamesPassThroughUnchanged(key: String) {
        #expect(JournalFieldName.forMetadataKey(key) == key)
    }

    @Test func otherKeysAreUppercasedWithInvalidCharactersMapped() {
        #expect(JournalFieldName.forMetadataKey("request-id") == "REQUEST_ID")
        #expect(JournalFieldName.forMetadataKey("instance.name") == "INSTANCE_NAME")
        #expect(JournalFieldName.forMetadataKey("retryAfter") == "RETRYAFTER")
        #expect(JournalFieldName.forMetadataKey("größe") == "GR__SSE")
    }

    @Test func keysThatJournaldWouldRejectAreMadeValid() {
        #expect(JournalFieldName.forMetadataKey("_PID") == "PID")
        #expect(JournalFieldName.forMetadataKey("__x") == "X")
        #expect(JournalFieldName.forMetadataKey("2fa") == "X2FA")
        #expect(JournalFieldName.forMetadataKey("") == "X")
        #expect(JournalFieldName.forMetadataKey(String(repeating: "a", count: 80)).count == 64)
        for key in ["_PID", "2fa", "", "ä", "a b", String(repeating: "z", count: 80)] {
            #expect(JournalFieldName.isValid(JournalFieldName.forMetadataKey(key)))
        }
    }

    @Test func fieldsTheHandlerSetsCannotBeOverriddenFromMetadata() {
        #expect(JournalFieldName.forMetadataKey("MESSAGE") == "X_MESSAGE")
        #expect(JournalFieldName.forMetadataKey("priority") == "X_PRIORITY")
        #expect(JournalFieldName.forMetadataKey("CODE_LINE") == "X_CODE_LINE")
    }
}
