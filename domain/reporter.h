// Reporter: the account of a period's work, grouped by province, region,
// sector or broker organisation (report.proto says what each figure
// counts). Reads the whole catalog once per report (a scan of organisations,
// offers, needs and connections): seconds at a million records, fine for a
// yearly report, not for a dashboard refreshed every second.
//
// Every key may run it: rows are counts and sums, never records, so
// confidential needs are counted but not shown.
//
// Thread-safety: Build may run on many threads at once.
#ifndef TECHMATCH_DOMAIN_REPORTER_H_
#define TECHMATCH_DOMAIN_REPORTER_H_

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "domain/reference_data.h"
#include "storage/catalog.h"
#include "techmatch/v1/report.pb.h"

namespace techmatch::domain {

class Reporter {
 public:
  // Borrowed pointers; all must outlive the reporter.
  Reporter(const storage::Catalog* catalog, const ReferenceData* reference,
           Clock* clock)
      : catalog_(catalog), reference_(reference), clock_(clock) {}

  // INVALID_ARGUMENT for an empty or reversed period or an unknown grouping.
  absl::StatusOr<techmatch::v1::Report> Build(
      const techmatch::v1::ReportRequest& request) const;

 private:
  const storage::Catalog* const catalog_;
  const ReferenceData* const reference_;
  Clock* const clock_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_REPORTER_H_
