import Foundation

/// What `Store.verify()` found: every table version's vector and id blocks
/// and every blob (index parts, models, feature rows) checked against the
/// checksums written with them.
public struct VerifyReport: Sendable, Encodable {
    /// One table version.
    public struct TableResult: Sendable, Encodable {
        public var table: String
        public var version: UInt32
        /// "current" or "previous".
        public var role: String
        /// Vector blocks plus id blocks examined.
        public var blocks: Int
        /// False for versions written before checksums (only presence and size were checked).
        public var checksummed: Bool
        /// One line per damaged or missing block, saying which rows it holds.
        public var damage: [String]
    }

    /// The blobs of one area (`index`, `models`, `features`).
    public struct AreaResult: Sendable, Encodable {
        public var area: String
        public var checked: Int
        /// Blobs written before checksums.
        public var unchecked: Int
        /// Keys of the blobs whose checksum fails (control bytes shown as `/`).
        public var damaged: [String]
    }

    /// LMDB's own B-tree pages (`BTreeCheck`): nil when sound, else what is wrong.
    public var structureDamage: String?
    public var tables: [TableResult] = []
    public var areas: [AreaResult] = []

    /// True when nothing is damaged or missing.
    public var intact: Bool { structureDamage == nil && tables.allSatisfy { $0.damage.isEmpty } && areas.allSatisfy { $0.damaged.isEmpty } }
}

extension Store {
    /// Reads every block of every table version and every blob, in one read
    /// snapshot, and checks them against their checksums. Damage is
    /// reported, not thrown; only a failure to read the store throws.
    public func verify(progress: ((String) -> Void)? = nil) throws -> VerifyReport {
        var structureDamage: String?
        progress?("LMDB's B-trees")
        do {
            // In a write transaction nothing commits meanwhile, so the pages
            // walked are the current meta page's (see BTreeCheck).
            if isReadOnly { try read { try $0.requireSoundStructure() } } else { try write { try $0.requireSoundStructure() } }
        } catch let StoreError.damaged(_, reason) {
            structureDamage = reason
        }
        if let structureDamage {
            // Reading the tables through damaged B-trees could fault the process.
            var report = VerifyReport()
            report.structureDamage = structureDamage
            return report
        }
        return try read { txn in
            var report = VerifyReport()
            // table records one by one, so a damaged one is reported, not thrown
            var infos: [TableInfo] = []
            var records = VerifyReport.AreaResult(area: "tables", checked: 0, unchecked: 0, damaged: [])
            try txn.scan(.tables, prefix: []) { k, v in
                records.checked += 1
                do { infos.append(try txn.decodeInfo(v, key: Array(k))) } catch StoreError.damaged {
                    records.damaged.append(String(decoding: k, as: UTF8.self))
                }
                return true
            }
            report.areas.append(records)
            for info in infos {
                progress?("table \(info.name)")
                report.tables.append(try txn.verify(info, info.current, role: "current"))
                if let p = info.previous { report.tables.append(try txn.verify(info, p, role: "previous")) }
            }
            for (area, name) in [(Database.index, "index"), (.models, "models"), (.features, "features")] {
                progress?(name)
                var r = VerifyReport.AreaResult(area: name, checked: 0, unchecked: 0, damaged: [])
                try txn.scan(area, prefix: []) { k, v in
                    switch BlockTrailer.check(v) {
                    case .intact: r.checked += 1
                    case .unsealed: r.unchecked += 1
                    case .damaged:
                        r.checked += 1
                        r.damaged.append(String(decoding: k.map { $0 < 0x20 ? UInt8(ascii: "/") : $0 }, as: UTF8.self))
                    }
                    return true
                }
                report.areas.append(r)
            }
            progress?("items")
            let items = try txn.verifyItems()
            report.areas.append(VerifyReport.AreaResult(area: "items", checked: items.checked, unchecked: items.checked == 0 ? try txn.itemCount() : 0, damaged: items.damage))
            return report
        }
    }
}

extension Transaction {
    func verify(_ info: TableInfo, _ v: TableVersion, role: String) throws -> VerifyReport.TableResult {
        var r = VerifyReport.TableResult(table: info.name, version: v.version, role: role, blocks: 0, checksummed: v.hasChecksums, damage: [])
        let keys = VersionKeys(tableID: info.tableID, version: v.version)
        let trailer = v.hasChecksums ? BlockTrailer.size : 0
        for b in 0..<v.blockCount {
            let first = b * v.rowsPerBlock, rows = min(v.rowsPerBlock, v.slots - first)
            let span = "rows \(first)-\(first + rows - 1)"
            r.blocks += 1
            if let value = try get(.vectors, keys.block(b)) {
                if value.count < v.storedBytes(rows: rows) + trailer {
                    r.damage.append("vector block \(b) (\(span)) is \(value.count) bytes, expected \(v.storedBytes(rows: rows) + trailer)")
                } else if v.hasChecksums && BlockTrailer.check(value) != .intact {
                    r.damage.append("vector block \(b) (\(span)) fails its checksum")
                }
            } else {
                r.damage.append("vector block \(b) (\(span)) is missing")
            }
            guard v.hasIDBlocks else { continue }
            r.blocks += 1
            if let value = try get(.ids, keys.idBlock(b)) {
                if IDBlock(value) == nil {
                    r.damage.append("id block \(b) (\(span)) is malformed")
                } else if v.hasChecksums && BlockTrailer.check(value) != .intact {
                    r.damage.append("id block \(b) (\(span)) fails its checksum")
                }
            } else {
                r.damage.append("id block \(b) (\(span)) is missing")
            }
        }
        try verifyIDValues(keys: keys, version: v, table: info.name, into: &r)
        return r
    }

    /// Every id key of a version: its value's checksum, its row in range and
    /// holding that id (by the id blocks), and as many keys as live rows.
    private func verifyIDValues(keys: VersionKeys, version v: TableVersion, table: String, into r: inout VerifyReport.TableResult) throws {
        let view = VectorTable(info: try tableInfo(table)!, version: v, txn: self)
        var live = 0, bad = 0
        var first: [String] = []
        try scan(.ids, prefix: keys.prefix + [UInt8(ascii: "i")]) { k, value in
            live += 1
            let id = UnsafeRawBufferPointer(rebasing: k[VersionKeys.idOverhead...])
            var problem: String?
            if let row = SealedValue.row(ofIDValue: value, key: k) {
                if Int(row) >= v.slots {
                    problem = "row \(row) beyond \(v.slots)"
                } else if let stored = try? view.idBytes(ofRow: Int(row)), !stored.elementsEqual(id) {
                    problem = "row \(row) holds another id"
                }
            } else {
                problem = "fails its checksum"
            }
            if let problem {
                bad += 1
                if first.count < 5 { first.append("id '\(String(decoding: id, as: UTF8.self))' \(problem)") }
            }
            return true
        }
        if bad > 0 { r.damage.append("\(bad) id key(s) damaged: " + first.joined(separator: "; ")) }
        if live != v.count { r.damage.append("\(live) id keys for \(v.count) live rows") }
    }
}
