// RocksDB's informational log, routed to spdlog instead of the LOG file in
// the database directory. On a full disk RocksDB's own file logger fails
// to write, and Debian's librocksdb (built with assertions) then aborts the
// whole process at its next log line; a full disk must cost writes, not the
// server. Warnings and errors go to spdlog at the matching level; RocksDB's
// chatty INFO lines (every flush and compaction) at debug.
#ifndef TECHMATCH_STORAGE_ROCKS_LOGGER_H_
#define TECHMATCH_STORAGE_ROCKS_LOGGER_H_

#include <rocksdb/env.h>

#include <cstdarg>

namespace techmatch::storage {

class SpdlogRocksLogger final : public rocksdb::Logger {
 public:
  SpdlogRocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override;
};

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_ROCKS_LOGGER_H_
