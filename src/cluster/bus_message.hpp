#pragma once
// The wire format of one committed batch on the bus (docs/architecture.md, "Cluster bus"). Pure: no I/O.
//
//   subject  fleet.v1.<token>: the tenant id itself when it is subject-safe ([A-Za-z0-9_-]+), else "~"
//            followed by the lowercase hex of its bytes ("~" never occurs in a safe id, so the two forms
//            cannot collide, and no tenant id can inject the subject separators ".", "*" or ">").
//   payload  {"type":"telemetry","tenant":"...","node":"...","sent_ms":N,"events":[<event>,...]}
//            whose events are the JSON event objects of the protocol (docs/protocol.md), copied from
//            EncodedBatch::bytes without re-encoding. Only the JSON form travels: compact indexes are per
//            process (proto/device_index.hpp), so the receiver re-encodes once per node.
#include <boost/json/storage_ptr.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/telemetry.hpp"
#include "proto/messages.hpp"

namespace fleet::cluster {

// The subject carrying `tenant`'s batches.
std::string subject_for(const TenantId& tenant);

// The bus message of a non-empty batch, sent by node `node` at `sent_ms` (Unix ms).
std::string encode_bus_message(const proto::EncodedBatch& batch, std::string_view node, std::int64_t sent_ms);

// A decoded bus message. StoredPoint::received_ms is not on the wire (0).
struct BusBatch {
  TenantId tenant;
  std::string node;
  std::int64_t sent_ms = 0;
  std::vector<StoredPoint> points;  // at least one, seqs strictly ascending
};

// Decodes a message received on `subject`. The payload is untrusted (another node, or anyone who can
// publish on the bus): parsed strictly and bounded, every event checked by proto::decode_event. Refused
// with ErrorCode::invalid_json (not strict JSON) or invalid_field naming the problem: a type other than
// "telemetry", a missing or mistyped member, no events, seqs not strictly ascending, or a subject other than
// subject_for(tenant) (a message must never put points into another tenant's stream).
// `storage` holds the parsed document while decoding (e.g. a monotonic_resource over a buffer the caller
// reuses, so a message costs no allocation for its DOM); default: the heap.
Result<BusBatch> decode_bus_message(std::string_view subject, std::string_view payload,
                                    boost::json::storage_ptr storage = {});

}  // namespace fleet::cluster
