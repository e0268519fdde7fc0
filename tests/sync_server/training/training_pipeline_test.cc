#include "sync_server/training/training_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>

#include "sync_server/training/trained_model.h"

namespace vitrine::training {
namespace {

constexpr int64_t kNow = 1'767'000'000'000;
constexpr int64_t kDay = 86'400'000;

struct Stored {
  int64_t profile;
  vitrine::v1::Event event;
};

vitrine::v1::Event Touch(const std::string& type, std::vector<std::string> ids, int64_t at,
                         const std::string& category = "") {
  vitrine::v1::Event e;
  e.set_type(type);
  e.set_occurred_at_ms(at);
  for (const auto& id : ids) {
    auto* line = e.add_products();
    line->set_product_id(id);
    line->set_category(category);
  }
  return e;
}

EventFeed FeedOf(const std::vector<Stored>& events) {
  return [&events](const auto& sink) {
    for (const auto& s : events) sink(s.profile, s.event);
    return Status::Ok();
  };
}

std::vector<vitrine::v1::CatalogItem> Catalog() {
  std::vector<vitrine::v1::CatalogItem> items;
  for (auto [id, title, category] : std::vector<std::tuple<const char*, const char*, const char*>>{
           {"polish", "Glossy Nail Polish", "Nails/Polish"},
           {"topcoat", "Quick Dry Top Coat", "Nails/Care"},
           {"remover", "Gentle Remover", "Removers"},
           {"shampoo", "Mild Shampoo", "Hair"},
           {"old", "Old Favourite", "Hair"}}) {
    vitrine::v1::CatalogItem item;
    item.set_product_id(id);
    item.set_title(title);
    item.set_category(category);
    items.push_back(item);
  }
  return items;
}

// Ten shoppers view polish then top coat; six buy polish with remover; one old bestseller was
// bought a lot, but two months ago.
std::vector<Stored> History() {
  std::vector<Stored> events;
  for (int p = 0; p < 10; ++p) {
    events.push_back({p, Touch("product_viewed", {"polish"}, kNow - kDay + p)});
    events.push_back({p, Touch("recommendation_clicked", {"topcoat"}, kNow - kDay + p + 1)});
    if (p < 6)
      events.push_back({p, Touch("order_completed", {"polish", "remover"}, kNow - kDay + p + 2)});
    if (p >= 6) events.push_back({p, Touch("order_completed", {"shampoo"}, kNow - kDay + p + 2)});
  }
  for (int p = 20; p < 40; ++p) {
    events.push_back({p, Touch("order_completed", {"old"}, kNow - 60 * kDay + p)});
  }
  events.push_back({99, Touch("product_viewed", {"newcomer"}, kNow, "Hair/New")});
  events.push_back({99, Touch("app_opened", {}, kNow)});
  return events;
}

TEST(TrainingPipelineTest, BuildsPopularityNeighboursAndBoughtTogether) {
  const auto events = History();
  auto artifact = Train(FeedOf(events), Catalog(), "m-1", kNow, {}, {});
  ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
  EXPECT_EQ(artifact->version(), "m-1");
  EXPECT_EQ(artifact->stats().events(), static_cast<int64_t>(events.size()));
  EXPECT_EQ(artifact->stats().items(), 6);  // the catalog's five and one seen only in events
  // Time decay: 20 orders two months ago (half-life 14 days: 1/19 each) lose to fresh polish.
  ASSERT_GE(artifact->popular_size(), 3);
  EXPECT_EQ(artifact->popular(0).product_id(), "polish");

  auto model = TrainedModel::FromArtifact(*artifact);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const auto* nb = (*model)->NeighboursOf("polish");
  ASSERT_NE(nb, nullptr);
  // Recommendation clicks count as interactions: top coat is a neighbour.
  bool has_topcoat = false;
  for (const auto& s : nb->items()) has_topcoat |= s.product_id() == "topcoat";
  EXPECT_TRUE(has_topcoat);
  const auto* fbt = (*model)->FrequentlyBoughtWith("polish");
  ASSERT_NE(fbt, nullptr);
  EXPECT_EQ(fbt->items(0).product_id(), "remover");
  EXPECT_EQ((*model)->FrequentlyBoughtWith("shampoo"), nullptr);  // always bought alone
  const auto* hair = (*model)->CategoryPopular("Hair");
  ASSERT_NE(hair, nullptr);
  EXPECT_EQ(hair->Get(0).product_id(), "shampoo");

  // Personal: what follows the history, never the history itself or what is excluded.
  const auto personal = (*model)->Personal({"polish"}, {"remover"}, 5);
  ASSERT_FALSE(personal.empty());
  EXPECT_EQ(personal[0].product_id(), "topcoat");
  for (const auto& s : personal) {
    EXPECT_NE(s.product_id(), "polish");
    EXPECT_NE(s.product_id(), "remover");
  }
}

// Segment popularity: what the members of a segment buy, not what everyone buys. Shoppers 0-5
// (the polish buyers) and 6-9 (shampoo) are two segments; the old bestseller's buyers have none.
TEST(TrainingPipelineTest, PopularityPerSegment) {
  const auto events = History();
  TrainingOptions options;
  int calls = 0;
  options.segment_of = [&calls](int64_t profile) -> std::string {
    ++calls;
    if (profile < 6) return "seg-nails";
    if (profile < 10) return "seg-hair";
    return "";
  };
  auto artifact = Train(FeedOf(events), Catalog(), "m-1", kNow, options, {});
  ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
  EXPECT_EQ(calls, 10 + 20 + 1);  // once per profile, not per event
  ASSERT_EQ(artifact->segment_popular_size(), 2);
  EXPECT_EQ(artifact->segment_popular(0).segment_id(), "seg-hair");  // sorted: deterministic
  auto model = TrainedModel::FromArtifact(*artifact);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const auto* hair = (*model)->SegmentPopular("seg-hair");
  const auto* nails = (*model)->SegmentPopular("seg-nails");
  ASSERT_NE(hair, nullptr);
  ASSERT_NE(nails, nullptr);
  EXPECT_EQ((*model)->SegmentPopular("seg-unknown"), nullptr);
  // Both segments viewed polish; only the hair segment bought shampoo, and it outranks polish
  // there (purchase 5 vs view 1), while the nails segment never touched it.
  EXPECT_EQ(hair->Get(0).product_id(), "shampoo");
  for (const auto& s : *nails) EXPECT_NE(s.product_id(), "shampoo");
  EXPECT_EQ(nails->Get(0).product_id(), "polish");
  // Without a segment function: no segment lists at all.
  auto plain = Train(FeedOf(events), Catalog(), "m-1", kNow, {}, {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->segment_popular_size(), 0);
}

TEST(TrainingPipelineTest, SameInputSameArtifact) {
  const auto events = History();
  auto a = Train(FeedOf(events), Catalog(), "m-1", kNow, {}, {});
  auto b = Train(FeedOf(events), Catalog(), "m-1", kNow, {}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  a->mutable_stats()->set_seconds(0);
  b->mutable_stats()->set_seconds(0);
  EXPECT_EQ(a->SerializeAsString(), b->SerializeAsString());
}

TEST(TrainingPipelineTest, FeedErrorsAndCancelFailTheRun) {
  EventFeed broken = [](const auto&) {
    return Status(Status::Kind::kUnavailable, "storage_error", "disk I/O error");
  };
  auto failed = Train(broken, Catalog(), "m-1", kNow, {}, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), "storage_error");

  std::atomic<bool> cancel{true};
  recsys::TrainOptions control;
  control.cancel = &cancel;
  const auto events = History();
  EXPECT_EQ(Train(FeedOf(events), Catalog(), "m-1", kNow, {}, control).status().code(),
            "cancelled");

  if (!SequentialAvailable()) {
    TrainingOptions sequential;
    sequential.sequential = true;
    EXPECT_EQ(Train(FeedOf(events), Catalog(), "m-1", kNow, sequential, {}).status().code(),
              "sequential_unavailable");
  }
}

TEST(TrainedModelTest, RejectsMalformedArtifacts) {
  EXPECT_EQ(TrainedModel::Parse("not a protobuf \xff\xff").status().code(),
            "invalid_model_artifact");
  v1::ModelArtifact artifact;
  artifact.set_format(2);
  artifact.set_version("m-1");
  EXPECT_FALSE(TrainedModel::FromArtifact(artifact).ok());
  artifact.set_format(1);
  artifact.add_product_ids("a");
  artifact.add_product_ids("a");
  EXPECT_NE(TrainedModel::FromArtifact(artifact).status().message().find("duplicate"),
            std::string::npos);
  artifact.clear_product_ids();
  artifact.set_sequential_kind("mystery");
  artifact.set_sequential_model("garbage");
  EXPECT_FALSE(TrainedModel::FromArtifact(artifact).ok());
  // A valid artifact truncated anywhere never crashes the parser.
  const auto events = History();
  auto good = Train(FeedOf(events), Catalog(), "m-1", kNow, {}, {});
  ASSERT_TRUE(good.ok());
  const std::string bytes = good->SerializeAsString();
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    auto parsed = TrainedModel::Parse(bytes.substr(0, cut));
    if (parsed.ok()) {
      EXPECT_EQ((*parsed)->version(), "m-1");
    }
  }
}

}  // namespace
}  // namespace vitrine::training

namespace vitrine::training {
namespace {

TEST(TrainingPipelineTest, NewProductsAreNeighboursByTheirText) {
  auto catalog = Catalog();
  vitrine::v1::CatalogItem fresh;
  fresh.set_product_id("pink");
  fresh.set_title("Glossy Nail Polish Pink");
  fresh.set_category("Nails/Polish");
  catalog.push_back(fresh);
  const auto events = History();
  auto artifact = Train(FeedOf(events), catalog, "m-1", kNow, {}, {});
  ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
  auto model = TrainedModel::FromArtifact(*artifact);
  ASSERT_TRUE(model.ok());
  if (artifact->stats().cold_items() == 0) {
    GTEST_SKIP() << "built without fastText (libfasttext-dev): no text-based cold start";
  }
  EXPECT_EQ(artifact->stats().cold_items(), 1);
  const auto* own = (*model)->NeighboursOf("pink");
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->items(0).product_id(), "polish");  // the only other "glossy nail polish"
  // ... and the new product shows at the tail of polish's learned list, below its learned items.
  const auto* polish = (*model)->NeighboursOf("polish");
  ASSERT_NE(polish, nullptr);
  ASSERT_GE(polish->items_size(), 2);
  EXPECT_EQ(polish->items(polish->items_size() - 1).product_id(), "pink");
  EXPECT_LT(polish->items(polish->items_size() - 1).score(), polish->items(0).score());

  TrainingOptions without;
  without.content_cold_start = false;
  auto plain = Train(FeedOf(events), catalog, "m-1", kNow, without, {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stats().cold_items(), 0);
}

}  // namespace
}  // namespace vitrine::training
