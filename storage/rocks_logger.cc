#include "storage/rocks_logger.h"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace techmatch::storage {

void SpdlogRocksLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void SpdlogRocksLogger::Logv(const rocksdb::InfoLogLevel level,
                             const char* format, va_list ap) {
  if (level < rocksdb::InfoLogLevel::WARN_LEVEL &&
      !spdlog::should_log(spdlog::level::debug)) {
    return;  // not even formatted
  }
  char line[1024];
  std::vsnprintf(line, sizeof(line), format, ap);
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL:
    case rocksdb::InfoLogLevel::INFO_LEVEL:
    case rocksdb::InfoLogLevel::HEADER_LEVEL:
      spdlog::debug("rocksdb: {}", line);
      break;
    case rocksdb::InfoLogLevel::WARN_LEVEL:
      spdlog::warn("rocksdb: {}", line);
      break;
    default:
      spdlog::error("rocksdb: {}", line);
      break;
  }
}

}  // namespace techmatch::storage
