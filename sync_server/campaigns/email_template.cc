#include "sync_server/campaigns/email_template.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace vitrine::server::campaigns {

std::string Personalize(std::string_view tmpl, const TemplateVars& vars) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    const size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) break;
    const size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(pos, open - pos));
    std::string_view expr = tmpl.substr(open + 2, close - open - 2);
    std::string_view fallback;
    if (const size_t bar = expr.find('|'); bar != std::string_view::npos) {
      fallback = expr.substr(bar + 1);
      expr = expr.substr(0, bar);
    }
    while (!expr.empty() && expr.front() == ' ') expr.remove_prefix(1);
    while (!expr.empty() && expr.back() == ' ') expr.remove_suffix(1);
    auto it = vars.find(std::string(expr));
    if (it != vars.end() && !it->second.empty()) {
      out += it->second;
    } else {
      out.append(fallback);
    }
    pos = close + 2;
  }
  out.append(tmpl.substr(std::min(pos, tmpl.size())));
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string FormatPrice(int64_t price_micros, std::string_view currency) {
  const int64_t cents = (price_micros + 5'000) / 10'000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(std::llabs(cents % 100)));
  std::string out = buf;
  if (!currency.empty()) out += " " + std::string(currency);
  return out;
}

RenderedEmail RenderEmail(const TemplateInput& in) {
  RenderedEmail r;
  r.subject = Personalize(in.subject_template, in.vars);
  r.preheader = Personalize(in.preheader_template, in.vars);
  const std::string headline = Personalize(in.headline_template, in.vars);
  const std::string intro = Personalize(in.intro_template, in.vars);

  std::string& h = r.html;
  h.reserve(8192 + in.feed.size() * 1200);
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       "<title>" +
       HtmlEscape(r.subject) +
       "</title></head>\n"
       "<body style=\"margin:0;padding:0;background-color:#f4f4f4;\">\n";
  // Preheader: the inbox preview line, hidden in the body.
  h += "<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all;\">" +
       HtmlEscape(r.preheader) + "</div>\n";
  // The open pixel first, so clipping or a cut-off download cannot drop it.
  h += "<img src=\"" + HtmlEscape(in.open_pixel_url) +
       "\" width=\"1\" height=\"1\" alt=\"\" "
       "style=\"display:block;border:0;width:1px;height:1px;\">\n";
  h +=
      "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" "
      "border=\"0\" style=\"background-color:#f4f4f4;\"><tr><td align=\"center\">\n"
      "<table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
      "style=\"width:600px;max-width:600px;background-color:#ffffff;font-family:Arial,Helvetica,"
      "sans-serif;color:#222222;\">\n";
  h += "<tr><td style=\"padding:24px 24px 8px 24px;font-size:22px;font-weight:bold;\">"
       "<a href=\"" +
       HtmlEscape(in.shop_click_url) +
       "\" style=\"color:#222222;"
       "text-decoration:none;\">" +
       HtmlEscape(in.shop_name) + "</a></td></tr>\n";
  h += "<tr><td style=\"padding:8px 24px;font-size:20px;line-height:26px;\">" +
       HtmlEscape(headline) + "</td></tr>\n";
  h += "<tr><td style=\"padding:0 24px 16px 24px;font-size:15px;line-height:22px;\">" +
       HtmlEscape(intro) + "</td></tr>\n";
  // The feed: two products per row, 276 px cells.
  for (size_t i = 0; i < in.feed.size(); i += 2) {
    h += "<tr><td style=\"padding:0 12px;\"><table role=\"presentation\" width=\"576\" "
         "cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>\n";
    for (size_t k = i; k < i + 2; ++k) {
      if (k >= in.feed.size()) {
        h += "<td width=\"288\" style=\"width:288px;\">&nbsp;</td>\n";
        continue;
      }
      const FeedItem& item = in.feed[k];
      const std::string link =
          HtmlEscape(k < in.feed_click_urls.size() ? in.feed_click_urls[k] : item.url);
      h += "<td width=\"288\" valign=\"top\" style=\"width:288px;padding:12px;\" "
           "data-product-id=\"" +
           HtmlEscape(item.product_id) + "\">";
      if (!item.image_url.empty()) {
        h += "<a href=\"" + link + "\"><img src=\"" + HtmlEscape(item.image_url) +
             "\" width=\"264\" alt=\"" + HtmlEscape(item.title) +
             "\" style=\"display:block;width:264px;max-width:100%;height:auto;border:0;\"></a>";
      }
      h += "<p style=\"margin:8px 0 4px 0;font-size:14px;line-height:20px;\"><a href=\"" + link +
           "\" style=\"color:#222222;text-decoration:none;\">" + HtmlEscape(item.title) +
           "</a></p><p style=\"margin:0 0 8px 0;font-size:14px;font-weight:bold;\">" +
           HtmlEscape(FormatPrice(item.price_micros, item.currency)) + "</p><a href=\"" + link +
           "\" style=\"display:inline-block;padding:8px 16px;"
           "background-color:#222222;color:#ffffff;text-decoration:none;font-size:13px;"
           "border-radius:3px;\">View</a></td>\n";
    }
    h += "</tr></table></td></tr>\n";
  }
  h += "<tr><td style=\"padding:24px;font-size:12px;line-height:18px;color:#777777;\">" +
       HtmlEscape(in.footer_text) + "<br><a href=\"" + HtmlEscape(in.unsubscribe_url) +
       "\" style=\"color:#777777;\">Unsubscribe</a></td></tr>\n";
  h += "</table>\n</td></tr></table>\n</body></html>\n";

  std::string& t = r.text;
  t += in.shop_name + "\n\n" + headline + "\n\n" + intro + "\n\n";
  for (size_t k = 0; k < in.feed.size(); ++k) {
    t += "- " + in.feed[k].title + " (" +
         FormatPrice(in.feed[k].price_micros, in.feed[k].currency) + ")\n  " +
         (k < in.feed_click_urls.size() ? in.feed_click_urls[k] : in.feed[k].url) + "\n";
  }
  t += "\n" + in.footer_text + "\nUnsubscribe: " + in.unsubscribe_url + "\n";
  return r;
}

}  // namespace vitrine::server::campaigns
