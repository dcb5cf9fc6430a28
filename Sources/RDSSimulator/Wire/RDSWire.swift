/// The simulator's own RDS v3 wire structs (docs/rds-api.md §1–§5); deliberately not the client's models.
enum RDSWire {
    struct DatabaseRef: Codable {
        var name: String
    }

    /// Body of `POST /v3/{project_id}/backups`: flat, not wrapped in `"backup"`.
    struct CreateBackupRequest: Decodable {
        var instance_id: String?
        var name: String?
        var description: String?
        var databases: [DatabaseRef]?
    }

    struct CreateBackupResponse: Encodable {
        var backup: CreatedBackup
    }

    struct CreatedBackup: Encodable {
        var id: String
        var instance_id: String
        var name: String
        var description: String
        var databases: [DatabaseRef]?
        var begin_time: String
        var status: String
        var type: String
    }

    struct Datastore: Encodable {
        var type: String
        var version: String
    }

    struct ListBackupsResponse: Encodable {
        var backups: [ListedBackup]
        var total_count: Int
    }

    struct ListedBackup: Encodable {
        var id: String
        var instance_id: String
        var name: String
        /// Only when `SimulatorConfiguration.listsBackupDescriptions` (OTC lists none).
        var description: String?
        var type: String
        var size: Int
        var status: String
        var begin_time: String
        var end_time: String?
        var datastore: Datastore
        var databases: [DatabaseRef]?
    }

    struct ListInstancesResponse: Encodable {
        var instances: [Instance]
        var total_count: Int
    }

    struct Instance: Encodable {
        struct FullDatastore: Encodable {
            var type: String
            var version: String
            var complete_version: String
        }
        struct BackupStrategy: Encodable {
            var start_time: String
            var keep_days: Int
        }
        struct Node: Encodable {
            var id: String
            var name: String
            var role: String
            var status: String
            var availability_zone: String
        }
        struct Volume: Encodable {
            var type: String
            var size: Int
        }
        var id: String
        var name: String
        var status: String
        var type: String
        var datastore: FullDatastore
        var region: String
        var port: Int
        var private_ips: [String]
        var public_ips: [String]
        var backup_strategy: BackupStrategy
        var nodes: [Node]
        var volume: Volume
        var flavor_ref: String
        var time_zone: String
        var enterprise_project_id: String
        var created: String
        var updated: String
        /// Absent when `instanceListReportsTags` is off, as in OTC's "query all" example.
        var tags: [Tag]?
    }

    /// One tag, in the list (`key`, `value`) and in `GET …/instances/{id}/tags` (plus `tag_type`).
    struct Tag: Encodable {
        var key: String
        var value: String
        var tag_type: String?
    }

    struct InstanceTagsResponse: Encodable {
        var tags: [Tag]
    }

    /// RDS service error (`appendix/abnormal_request_results.rst`).
    struct ErrorResponse: Encodable {
        var error_code: String
        var error_msg: String
    }

    /// API gateway error: adds `request_id`.
    struct GatewayErrorResponse: Encodable {
        var error_code: String
        var error_msg: String
        var request_id: String
    }
}
