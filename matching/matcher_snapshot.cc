// Matcher, its snapshot: Save() and Load() of the whole state (the text
// indexes, the documents' structured facts, the needs' concept queries).
#include <memory>
#include <type_traits>

#include "matching/matcher.h"

namespace techmatch::matching {
namespace {

// Writes the values a document's fields list hands it (see DocFields).
struct Saving {
  SnapshotWriter& out;
  template <class T>
  bool operator()(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      out.Pod<uint8_t>(v ? 1 : 0);
    } else if constexpr (std::is_same_v<T, std::string>) {
      out.String(v);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      out.Pod<uint64_t>(v.size());
      for (const std::string& s : v) out.String(s);
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      out.Pod<uint8_t>(v.has_value() ? 1 : 0);
      out.Pod<int64_t>(v.value_or(0));
    } else if constexpr (std::is_same_v<T,
                                        std::shared_ptr<const ConceptQuery>>) {
      SaveConcepts(v == nullptr ? ConceptQuery() : *v);
    } else {
      out.Pod(v);
    }
    return true;
  }

  // Field by field (no struct padding reaches the file: equal queries save
  // equal bytes).
  void SaveConcepts(const ConceptQuery& q) {
    out.Pod<uint8_t>((q.accented ? 1 : 0) | (q.english ? 2 : 0));
    (*this)(q.terms);
    (*this)(q.labels);
    out.Pod<uint64_t>(q.alternatives.size());
    for (const ConceptQuery::Alternative& a : q.alternatives) {
      SaveForm(a.form);
      out.Pod(a.label);
      out.Pod(static_cast<uint8_t>(a.via));
    }
    out.Pod<uint64_t>(q.concepts.size());
    for (const ConceptQuery::Concept& c : q.concepts) {
      out.Pod(c.prominence);
      out.Pod(static_cast<uint8_t>(c.kind));
      SaveForm(c.own);
      SaveForm(c.folded);
      out.Pod(c.parts[0]);
      out.Pod(c.parts[1]);
      out.Pod(c.first_alternative);
      out.Pod(c.alternative_count);
      out.Pod(c.label);
    }
  }

  void SaveForm(const ConceptQuery::Form& form) {
    out.Pod(form.first_term);
    out.Pod(form.term_count);
  }
};

// Reads them back, in the same order; false when the snapshot fails.
struct Loading {
  SnapshotReader& in;
  template <class T>
  bool operator()(T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t b = 0;
      if (!in.Pod(&b)) return false;
      v = b != 0;
      return true;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return in.String(&v);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      uint64_t n = 0;
      if (!in.Length(&n, sizeof(uint64_t))) return false;
      v.resize(n);
      for (std::string& s : v) {
        if (!in.String(&s)) return false;
      }
      return true;
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      uint8_t has = 0;
      int64_t value = 0;
      if (!in.Pod(&has) || !in.Pod(&value)) return false;
      if (has != 0)
        v = value;
      else
        v.reset();
      return true;
    } else if constexpr (std::is_same_v<T,
                                        std::shared_ptr<const ConceptQuery>>) {
      auto q = std::make_shared<ConceptQuery>();
      if (!LoadConcepts(q.get())) return false;
      v = std::move(q);
      return true;
    } else {
      return in.Pod(&v);
    }
  }

  // As Saving::SaveConcepts wrote it; every index is checked against the
  // tables it points into.
  bool LoadConcepts(ConceptQuery* q) {
    uint8_t flags = 0;
    if (!in.Pod(&flags) || !(*this)(q->terms) || !(*this)(q->labels))
      return false;
    q->accented = (flags & 1) != 0;
    q->english = (flags & 2) != 0;
    const uint64_t terms = q->terms.size(), labels = q->labels.size();
    auto form = [&](ConceptQuery::Form* f) {
      return in.Pod(&f->first_term) && in.Pod(&f->term_count) &&
             uint64_t{f->first_term} + f->term_count <= terms;
    };
    auto outside = [&] {
      in.Fail("a concept query points outside its tables");
      return false;
    };
    uint64_t n = 0;
    if (!in.Length(&n, 13)) return false;
    q->alternatives.resize(n);
    for (ConceptQuery::Alternative& a : q->alternatives) {
      uint8_t via = 0;
      if (!form(&a.form) || !in.Pod(&a.label) || !in.Pod(&via)) {
        return in.ok() ? outside() : false;
      }
      if (a.label >= labels ||
          via > static_cast<uint8_t>(ConceptQuery::Via::kGlossary))
        return outside();
      a.via = static_cast<ConceptQuery::Via>(via);
    }
    if (!in.Length(&n, 41)) return false;
    q->concepts.resize(n);
    for (ConceptQuery::Concept& c : q->concepts) {
      uint8_t kind = 0;
      if (!in.Pod(&c.prominence) || !in.Pod(&kind) || !form(&c.own) ||
          !form(&c.folded) || !in.Pod(&c.parts[0]) || !in.Pod(&c.parts[1]) ||
          !in.Pod(&c.first_alternative) || !in.Pod(&c.alternative_count) ||
          !in.Pod(&c.label)) {
        return in.ok() ? outside() : false;
      }
      if (kind > static_cast<uint8_t>(ConceptQuery::Kind::kPhrase) ||
          c.label >= labels ||
          uint64_t{c.first_alternative} + c.alternative_count >
              q->alternatives.size())
        return outside();
      c.kind = static_cast<ConceptQuery::Kind>(kind);
      for (uint32_t part : c.parts) {
        if (part != ConceptQuery::kNone && part >= n) return outside();
      }
    }
    return true;
  }
};

// The structured facts of a document in snapshot order (its text is not
// kept by the matcher), one list for both directions: `Doc` is const when
// saving.
template <class IO, class Doc>
bool DocFields(IO& io, Doc& d) {
  if constexpr (std::is_same_v<std::remove_const_t<Doc>, OfferDoc>) {
    return io(d.id) && io(d.sectors) && io(d.trl) && io(d.price_min) &&
           io(d.price_max) && io(d.province) && io(d.region) &&
           io(d.transfer_modes) && io(d.fresh_micros) && io(d.expire_micros) &&
           io(d.published);
  } else {
    return io(d.id) && io(d.sectors) && io(d.min_trl) && io(d.budget_max) &&
           io(d.province) && io(d.region) && io(d.transfer_modes) &&
           io(d.strict) && io(d.fresh_micros) && io(d.expire_micros) &&
           io(d.published) && io(d.confidential) && io(d.concepts);
  }
}

template <class Doc>
void SaveDocs(SnapshotWriter& out, const DocTable<Doc>& docs) {
  out.Pod<uint64_t>(docs.size());
  Saving saving{out};
  for (const Doc& doc : docs.all()) DocFields(saving, doc);
}

template <class Doc>
bool LoadDocs(SnapshotReader& in, DocTable<Doc>* docs) {
  uint64_t n = 0;
  if (!in.Length(&n, sizeof(uint64_t))) return false;
  docs->Reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    Doc doc;
    Loading loading{in};
    if (!DocFields(loading, doc)) return false;
    docs->Upsert(std::move(doc));
  }
  if (docs->size() != n) {
    in.Fail("a document appears twice");
    return false;
  }
  return true;
}

// 2: needs keep their concept queries; the lexicon's digest follows the
// format.
constexpr uint32_t kMatcherFormat = 2;

}  // namespace

void Matcher::Save(SnapshotWriter& out) const {
  std::shared_lock lock(mu_);
  out.Pod(kMatcherFormat);
  out.Pod(lexicon_->Fingerprint());
  offer_text_.Save(out);
  need_text_.Save(out);
  SaveDocs(out, offers_);
  SaveDocs(out, needs_);
}

absl::Status Matcher::Load(SnapshotReader& in) {
  TextIndex offer_text(&analyzer_, params_), need_text(&analyzer_, params_);
  DocTable<OfferDoc> offers;
  DocTable<NeedDoc> needs;
  uint32_t format = 0;
  if (in.Pod(&format) && format != kMatcherFormat) {
    in.Fail("matcher state of another format");
  }
  uint64_t lexicon = 0;
  if (in.ok() && in.Pod(&lexicon) && lexicon != lexicon_->Fingerprint()) {
    in.Fail("built with another lexicon (stop words, synonyms, glossary)");
  }
  if (in.ok() && offer_text.Load(in) && need_text.Load(in) &&
      LoadDocs(in, &offers) && LoadDocs(in, &needs) &&
      (offers.size() != offer_text.size() ||
       needs.size() != need_text.size())) {
    in.Fail("the documents do not match the text indexes");
  }
  absl::Status verified = in.Finish();
  if (!verified.ok()) return verified;
  std::unique_lock lock(mu_);
  ++writes_;
  offer_text_ = std::move(offer_text);
  need_text_ = std::move(need_text);
  offers_ = std::move(offers);
  needs_ = std::move(needs);
  return absl::OkStatus();
}

}  // namespace techmatch::matching
