"""Technology fingerprints a company's site shows: tags in the page, headers in the response."""

from __future__ import annotations

from scripts.fixture_web.world import Company


def head_tags(company: Company) -> list[str]:
    tech = set(company.tech)
    token = company.token
    tags: list[str] = []
    if company.cms == "WordPress":
        tags.append('<meta name="generator" content="WordPress 6.5.2">')
        tags.append(f'<link rel="stylesheet" href="/wp-content/themes/{company.slug}/style.css">')
        tags.append('<link rel="https://api.w.org/" href="/wp-json/">')
    elif company.cms == "Wix":
        tags.append('<meta name="generator" content="Wix.com Website Builder">')
        tags.append('<link rel="preconnect" href="https://static.wixstatic.com">')
    elif company.cms == "Squarespace":
        tags.append("<!-- This is Squarespace. -->")
        tags.append(
            '<script src="https://static1.squarespace.com/static/vta/5c5a5/scripts/site-bundle.js"></script>'
        )
    elif company.cms == "Drupal":
        tags.append('<meta name="Generator" content="Drupal 10 (https://www.drupal.org)">')
    elif company.cms == "Shopify":
        tags.append(
            f'<script src="https://cdn.shopify.com/s/files/1/{int(token[:6], 16)}'
            '/t/3/assets/theme.js" defer></script>'
        )
        tags.append('<link rel="preconnect" href="https://cdn.shopify.com">')
    if "Google Analytics" in tech:
        gid = f"G-{token[:10].upper()}"
        tags.append(f'<script async src="https://www.googletagmanager.com/gtag/js?id={gid}"></script>')
        tags.append(
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
            f"gtag('js',new Date());gtag('config','{gid}');</script>"
        )
    if "HubSpot" in tech:
        tags.append(
            '<script id="hs-script-loader" async defer '
            f'src="//js.hs-scripts.com/{int(token[:7], 16)}.js"></script>'
        )
    if "Salesforce" in tech:
        tags.append('<script src="https://pi.pardot.com/pd.js" async></script>')
    if "Microsoft Clarity" in tech:
        tags.append(f'<script async src="https://www.clarity.ms/tag/{token[:10]}"></script>')
    if "Intercom" in tech:
        tags.append(f'<script async src="https://widget.intercom.io/widget/{token[:8]}"></script>')
    if "Zendesk" in tech:
        tags.append(
            f'<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key={token}"></script>'
        )
    return tags


def body_links(company: Company) -> list[str]:
    """Links in the page footer that reveal tools (portals, meeting links, payment pages)."""
    tech = set(company.tech)
    token = company.token
    links: list[str] = []
    if "Zoom" in tech:
        links.append(f'<a href="https://us02web.zoom.us/j/{int(token[:9], 16)}">Book a video call</a>')
    if "Atlassian" in tech:
        links.append(
            f'<a href="https://{company.slug}.atlassian.net/servicedesk/customer/portal/1">Support portal</a>'
        )
    if "Slack" in tech:
        links.append(
            f'<a href="https://join.slack.com/t/{company.slug}/shared_invite/zt-{token[:10]}">'
            "Community Slack</a>"
        )
    if "QuickBooks" in tech:
        links.append(
            '<a href="https://connect.intuit.com/portal/app/CommerceNetwork/view/'
            f'scs-{token[:12]}">Pay an invoice</a>'
        )
    if "Zendesk" in tech:
        links.append(f'<a href="https://{company.slug}.zendesk.com/hc/en-us">Help centre</a>')
    return links


def salesforce_form(company: Company) -> str:
    if "Salesforce" not in company.tech:
        return ""
    return (
        '<form class="contact-form" action="https://webto.salesforce.com/servlet/servlet.WebToLead'
        f'?encoding=UTF-8" method="POST"><input type="hidden" name="oid" value="00D{company.token[:12]}">'
        '<input name="email" type="email" placeholder="Your email"><button>Send</button></form>'
    )


def response_headers(company: Company) -> list[tuple[str, str]]:
    token = company.token
    headers: list[tuple[str, str]] = []
    if company.cms == "WordPress":
        headers.append(("Link", f'<{company.base_url}/wp-json/>; rel="https://api.w.org/"'))
        headers.append(("X-Powered-By", "PHP/8.2.12"))
    elif company.cms == "Shopify":
        headers.append(("X-ShopId", str(int(token[:6], 16))))
        headers.append(("X-Shopify-Stage", "production"))
    elif company.cms == "Wix":
        headers.append(("X-Wix-Request-Id", token))
    elif company.cms == "Drupal":
        headers.append(("X-Generator", "Drupal 10 (https://www.drupal.org)"))
    if company.dns_provider == "Cloudflare":
        headers.append(("Server", "cloudflare"))
        headers.append(("CF-Ray", f"{token[:16]}-LHR"))
    elif company.dns_provider == "AWS":
        headers.append(("Server", "AmazonS3" if company.cms == "custom" else "nginx"))
        headers.append(("X-Amz-Cf-Id", f"{token}=="))
    elif company.dns_provider == "Azure":
        headers.append(("Server", "Microsoft-IIS/10.0"))
        headers.append(("X-Azure-Ref", f"0{token}"))
    else:
        headers.append(("Server", "Apache"))
    if "HubSpot" in company.tech:
        headers.append(("Set-Cookie", f"__hssc={int(token[:7], 16)}.1.1; Path=/"))
    return headers
