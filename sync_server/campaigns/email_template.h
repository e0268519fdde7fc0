// The campaign email template: a 600 px table layout with inline CSS (what Gmail, Outlook and
// Apple Mail all render), a hidden preheader, the open pixel near the top (Gmail clips messages
// over 102 KB and drops everything after the cut, so a pixel at the bottom would undercount),
// a per-recipient product feed, and a footer with the unsubscribe link. Plus the plain-text
// alternative and subject/preheader personalisation.
//
// Personalisation: "{{name}}" or "{{name|fallback}}" placeholders, values from the recipient's
// variables (first_name, ...); HTML-escaped in the HTML body. Unknown names without a fallback
// become "".
//
// Thread safety: pure functions.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_EMAIL_TEMPLATE_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_EMAIL_TEMPLATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::server::campaigns {

struct FeedItem {
  std::string product_id;
  std::string title;
  int64_t price_micros = 0;
  std::string currency;
  std::string image_url;
  std::string url;  // the product page (the template links through click_url)
  std::string category;
};

using TemplateVars = std::map<std::string, std::string>;

std::string Personalize(std::string_view tmpl, const TemplateVars& vars);
std::string HtmlEscape(std::string_view text);
// "12.34 EUR".
std::string FormatPrice(int64_t price_micros, std::string_view currency);

struct TemplateInput {
  std::string subject_template;
  std::string preheader_template;
  std::string headline_template;
  std::string intro_template;
  TemplateVars vars;
  std::string shop_name;
  std::string shop_click_url;  // tracked link to the shop's home page
  std::vector<FeedItem> feed;
  std::vector<std::string> feed_click_urls;  // tracked links, one per feed item
  std::string open_pixel_url;
  std::string unsubscribe_url;  // the confirmation page (GET); one-click POST is in the header
  std::string footer_text;      // postal address etc. (plain text)
};

struct RenderedEmail {
  std::string subject;
  std::string preheader;
  std::string html;
  std::string text;
};

RenderedEmail RenderEmail(const TemplateInput& input);

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_EMAIL_TEMPLATE_H_
