"""Natural-language text for the fixture web: planted buying signals and plenty of noise.

Every signal type of the taxonomy has at least a dozen phrasings written like real press
releases, job ads, blog posts and forum posts; slots (names, numbers, places, products) are
filled from pools so the same phrasing reads differently for each company. ``none`` text comes
in two kinds: ordinary filler (results, trivia, events, CSR, customer stories, marketing) and
hard negatives that talk about the same topics as a signal type without announcing anything.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from common import vocabulary

# Solution areas a planted signal raises in the ground truth: the vocabulary's, except that
# competitor_tech depends on the product named (truth.signal_areas) and a negative signal
# (cost_cutting) raises none (truth.intent_by_area lowers every area with it).
TYPE_AREAS: dict[str, tuple[str, ...]] = {
    kind.id: () if kind.id == vocabulary.COMPETITOR_TECH or kind.polarity < 0 else kind.areas
    for kind in vocabulary.SIGNALS
}

# (name, category, what it is used for, area it competes with)
COMPETITORS: tuple[tuple[str, str, str, str], ...] = (
    ("Google Workspace", "email and collaboration suite", "email and shared documents", "M365"),
    ("AWS", "cloud platform", "hosting our applications", "Azure"),
    ("Salesforce", "CRM", "managing our sales pipeline", "D365SP"),
    ("Zoom", "video meeting platform", "client calls and webinars", "M365"),
    ("Slack", "team chat tool", "day-to-day team communication", "M365"),
    ("QuickBooks", "accounting package", "invoicing and bookkeeping", "D365BC"),
    ("HubSpot", "CRM and marketing platform", "tracking leads and campaigns", "D365SP"),
    ("Xero", "accounting software", "bookkeeping and payroll", "D365BC"),
    ("Google Cloud", "cloud platform", "running our data workloads", "Azure"),
    ("Dropbox", "file sharing service", "sharing files with clients", "M365"),
)
COMPETITOR_BY_NAME = {c[0]: c for c in COMPETITORS}

POOLS: dict[str, tuple[str, ...]] = {
    "n_small": ("two", "three", "four", "five", "six", "seven", "eight"),
    "n_digit": tuple(str(n) for n in (6, 8, 9, 12, 14, 15, 18, 20, 24, 25, 30, 35, 40, 45)),
    "pct": tuple(str(n) for n in (4, 6, 8, 10, 12, 15, 18, 20, 25, 30)),
    "headcount": tuple(str(n) for n in (40, 60, 85, 120, 150, 200, 240, 320, 450)),
    "year": tuple(str(y) for y in range(1968, 2019, 3)),
    "version": ("2.0", "3.0", "4", "5.1", "2026"),
    "stand": ("B12", "C4", "A27", "D9", "F31", "H2"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "month_name": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "date_text": (
        "1 March",
        "15 April",
        "3 June",
        "1 September",
        "20 October",
        "2 December",
        "12 January",
        "28 February",
    ),
    "quarter_text": ("the first quarter", "the spring", "Q2", "the summer", "early next year"),
    "ordinal": ("second", "third", "fourth", "fifth", "sixth", "tenth"),
    "amount": (
        "$4 million",
        "$12.5 million",
        "€8 million",
        "£3.2 million",
        "$20 million",
        "€1.5 million",
        "£750,000",
        "$45 million",
        "AU$6 million",
        "CA$9 million",
    ),
    "amount_small": ("£2,300", "$4,800", "€12,000", "$18,500", "£7,450", "€3,900"),
    "round": ("seed round", "Series A", "Series B", "Series C", "growth round", "pre-Series A round"),
    "investor": (
        "Harbourline Capital",
        "Northgate Ventures",
        "Blue Meridian Partners",
        "Kestrel Growth Equity",
        "Alder & Finch Investments",
        "Summit Ridge Capital",
        "Lantern Ventures",
        "Oakbridge Private Equity",
    ),
    "bank": (
        "Ridgeway Bank",
        "First Harbour Bank",
        "the Regional Growth Fund",
        "Commonwealth Lending",
        "Thornfield Bank",
    ),
    "person": (
        "Maria Lindqvist",
        "James Okafor",
        "Priya Raman",
        "Tom Becker",
        "Aisha Khan",
        "Lucas Moreau",
        "Hannah Whitfield",
        "Daniel Novak",
        "Sofia Rossi",
        "Kenji Watanabe",
        "Chloe Dubois",
        "Marcus Reid",
        "Ingrid Larsen",
        "Samuel Adeyemi",
        "Elena Petrova",
        "Oliver Grant",
        "Fatima Al-Sayed",
        "Ben Carter",
        "Nora Fischer",
        "Diego Ramirez",
    ),
    "person2": (
        "Rachel Green",
        "Martin Kowalski",
        "Laura Jensen",
        "Ahmed Hassan",
        "Julia Weber",
        "Patrick O'Neill",
        "Yuki Sato",
        "Grace Mensah",
    ),
    "exec_title": (
        "Chief Executive Officer",
        "Chief Information Officer",
        "Chief Technology Officer",
        "Chief Financial Officer",
        "Chief Operating Officer",
        "Chief Information Security Officer",
        "Managing Director",
        "IT Director",
        "Chief Revenue Officer",
        "Chief Digital Officer",
    ),
    "exec_title2": (
        "Head of Operations",
        "VP Engineering",
        "Finance Director",
        "Sales Director",
        "Head of IT",
        "Group Controller",
    ),
    "other_company": (
        "Fenwick Systems",
        "Larchmont Foods",
        "Velora Group",
        "Brightwater Health",
        "Corvid Logistics",
        "Stanton & Hale",
        "Greyfield Engineering",
        "Meridian Retail",
    ),
    "target": (
        "Halcyon Data",
        "Pinebrook Services",
        "Redwater Technical",
        "Lumen Print Co",
        "Castlegate Supplies",
        "Northbank Consulting",
        "Quillon Labs",
        "Tidewell Marine",
    ),
    "target_kind": (
        "specialist distributor",
        "family-owned installer",
        "software start-up",
        "regional competitor",
        "design consultancy",
        "maintenance contractor",
    ),
    "acquirer": (
        "Vantage Industrial Holdings",
        "Orion Group",
        "Castellan Partners",
        "Beaumont Holdings",
        "Atlas Consolidated",
    ),
    "partner": (
        "Norland Health Trust",
        "Everfield Foods",
        "Cobalt Rail",
        "Metro Housing Group",
        "Silverline Hotels",
        "Hartmann Automotive",
        "Bayview Council",
        "Trident Energy",
        "Kingsmere University",
        "Pelican Airlines",
    ),
    "public_body": (
        "the regional health authority",
        "the city council",
        "the Ministry of Transport",
        "the national library service",
        "the state education department",
    ),
    "service_noun": (
        "deliveries",
        "facilities maintenance",
        "payroll",
        "IT support",
        "print work",
        "fleet servicing",
    ),
    "product": (
        "Nimbus One",
        "FlowTrack",
        "Atlas Pro",
        "Beacon 360",
        "Harbor Lite",
        "PulseSense",
        "Vertex Studio",
        "Keystone Go",
        "Orbit Plus",
        "Sable Series",
        "Ember Cloud",
        "Granite X",
    ),
    "product_kind": (
        "booking platform",
        "line of energy-efficient heaters",
        "mobile app",
        "subscription box",
        "monitoring service",
        "online portal",
        "range of organic snacks",
        "smart sensor",
        "training programme",
        "payment service",
    ),
    "audience": (
        "small businesses",
        "busy families",
        "property managers",
        "independent retailers",
        "clinics",
        "schools",
        "fleet operators",
        "restaurants",
    ),
    "benefit": (
        "save time on admin",
        "cut their energy bills",
        "keep track of every order",
        "book appointments in seconds",
        "spot problems before they happen",
    ),
    "event": (
        "the Hanover trade fair",
        "Web Summit",
        "the Regional Business Expo",
        "the Build Show",
        "the Retail Innovation Forum",
        "SMB Tech Week",
    ),
    "region": (
        "the north of England",
        "Scandinavia",
        "the Midwest",
        "the DACH region",
        "the Pacific Northwest",
        "southern Europe",
        "Queensland",
        "Ontario",
        "the Benelux countries",
        "the Gulf states",
    ),
    "new_city": (
        "Leeds",
        "Rotterdam",
        "Austin",
        "Lyon",
        "Brisbane",
        "Calgary",
        "Kraków",
        "Gothenburg",
        "Dublin",
        "Porto",
        "Nashville",
        "Auckland",
        "Munich",
        "Denver",
    ),
    "new_country": (
        "Germany",
        "Canada",
        "the Netherlands",
        "Poland",
        "Australia",
        "Ireland",
        "Spain",
        "Japan",
        "Mexico",
        "the United States",
        "Sweden",
    ),
    "new_country2": ("Austria", "Belgium", "Denmark", "New Zealand", "Portugal", "Singapore"),
    "site_type": (
        "warehouse",
        "distribution centre",
        "production plant",
        "showroom",
        "research lab",
        "service centre",
        "flagship store",
        "training centre",
    ),
    "role_tech": (
        "cloud engineer",
        "data engineer",
        "DevOps engineer",
        ".NET developer",
        "IT support analyst",
        "systems administrator",
        "data scientist",
        "machine learning engineer",
        "full-stack developer",
        "solutions architect",
        "IT manager",
        "database administrator",
    ),
    "role_tech2": (
        "business intelligence analyst",
        "network engineer",
        "front-end developer",
        "platform engineer",
        "IT service desk analyst",
    ),
    "tech_skill": (
        "Azure",
        "Kubernetes",
        "PowerShell",
        "SQL",
        "Python",
        "Microsoft 365",
        "Terraform",
        "networking",
        "C#",
    ),
    "role_sec": (
        "security engineer",
        "SOC analyst",
        "information security officer",
        "cyber security analyst",
        "security architect",
        "IAM specialist",
        "penetration tester",
        "security operations manager",
    ),
    "role_sales": (
        "account executive",
        "sales development representative",
        "customer success manager",
        "inside sales representative",
        "key account manager",
        "business development manager",
        "customer service advisor",
    ),
    "role_fin": (
        "financial controller",
        "management accountant",
        "accounts payable clerk",
        "payroll specialist",
        "FP&A analyst",
        "finance manager",
        "credit controller",
        "bookkeeper",
    ),
    "cloud_platform": (
        "Microsoft Azure",
        "a public cloud platform",
        "a hosted private cloud",
        "the cloud",
        "Azure",
        "a managed cloud service",
    ),
    "legacy_erp": (
        "Sage 50",
        "our old Dynamics NAV system",
        "a 15-year-old accounting package",
        "Dynamics GP",
        "a home-grown Access database",
        "QuickBooks Desktop",
    ),
    "standard": (
        "ISO 27001",
        "SOC 2",
        "GDPR",
        "Cyber Essentials Plus",
        "PCI DSS",
        "HIPAA",
        "NIS2",
        "ISO 9001",
    ),
    "customer_name": (
        "Riverside Dental",
        "Oakwood Primary School",
        "Hillcrest Motors",
        "Bramble Bakery",
        "Seaview Hotel",
        "Kingfisher Pharmacy",
        "Elm Street Vets",
    ),
    "job_plain": (
        "warehouse operative",
        "delivery driver",
        "receptionist",
        "chef de partie",
        "electrician",
        "registered nurse",
        "forklift driver",
        "cleaner",
        "barista",
        "retail assistant",
        "HGV driver",
        "care assistant",
    ),
}

T = tuple[str, ...]
_T = TypeVar("_T")

SIGNALS: dict[str, T] = {
    "hiring_tech": (
        "We are hiring {n_small} {role_tech}s to join our growing IT team in {city}.",
        "{company} is looking for an experienced {role_tech} to help run and extend our cloud "
        "infrastructure.",
        "Join us as a {role_tech}: you will build the data pipelines and integrations behind "
        "our customer platform.",
        "Our technology team is recruiting a {role_tech} and a {role_tech2} this quarter.",
        "{company} has opened {n_digit} new roles in software development and IT operations.",
        "We're expanding our engineering team and need a {role_tech} who knows {tech_skill} inside out.",
        "As our new {role_tech}, you will look after our Microsoft 365 tenant, our laptops and "
        "the servers in our {city} office.",
        "The IT department at {company} is growing, and we are now recruiting for a "
        "{role_tech} on a permanent contract.",
        "Applications are open for a {role_tech} to lead the development of our internal tools and APIs.",
        "We need a hands-on {role_tech} with strong {tech_skill} skills to support our teams "
        "across {n_small} sites.",
        "{company} plans to double the size of its in-house development team by hiring "
        "{n_digit} engineers over the next year.",
        "Our IT team in {city} is hiring and wants to hear from anyone who knows their way "
        "around {tech_skill}.",
    ),
    "hiring_security": (
        "We are recruiting a {role_sec} to strengthen how we protect customer data.",
        "{company} is hiring its first Chief Information Security Officer to own our security programme.",
        "Our IT team is looking for a {role_sec} to monitor alerts, investigate incidents and "
        "harden our endpoints.",
        "Join {company} as a {role_sec} and help us build a round-the-clock security operations capability.",
        "We have an opening for a {role_sec} with hands-on experience of identity and access management.",
        "The successful {role_sec} will run vulnerability scans, manage patching and lead our "
        "phishing awareness training.",
        "{company} is adding {n_small} security analysts to its team as it builds an in-house "
        "security operations centre.",
        "We're searching for a {role_sec} who can take our security posture from ad hoc to audited.",
        "Vacancy: {role_sec} – you will own firewalls, email security and endpoint protection "
        "across the group.",
        "To keep pace with growing cyber threats, {company} is recruiting an information security manager.",
        "Help us defend our network: we are hiring a {role_sec} with a background in incident response.",
        "{company} is hiring a {role_sec} who enjoys threat hunting and wants to build something new.",
    ),
    "hiring_sales": (
        "We are growing our sales team and hiring {n_small} {role_sales}s in {city}.",
        "{company} is recruiting a {role_sales} to manage key accounts across {region}.",
        "Join our customer service team: we are hiring friendly, organised people to answer "
        "customer calls and emails.",
        "To support record demand, {company} will add {n_digit} people to its sales and "
        "customer success teams this year.",
        "We have vacancies for {role_sales}s who love building relationships with customers.",
        "Our commercial team is expanding, and we need an experienced {role_sales} to open new markets.",
        "{company} is hiring a Head of Sales to build and lead a team of account managers.",
        "Could you be our next {role_sales}, owning the full sales cycle from first call to signed contract?",
        "We're looking for {n_small} customer support agents to join our busy contact centre.",
        "The new {role_sales} will grow our pipeline of trade customers and report to the sales director.",
        "{company} is building out an inside sales team and is recruiting {role_sales}s now.",
        "Vacancy: {role_sales}, field-based, covering {region}, with a company car and uncapped commission.",
    ),
    "hiring_finance": (
        "We are recruiting a {role_fin} to join our finance team in {city}.",
        "{company} is looking for an experienced {role_fin} to take ownership of month-end "
        "close and reporting.",
        "Our finance department is growing and we need a {role_fin} who is comfortable with "
        "large volumes of invoices.",
        "Join us as a {role_fin}: you'll manage budgets, cash flow and our relationship with the auditors.",
        "We have an opening for an operations manager to run purchasing, stock control and logistics.",
        "{company} is hiring a Finance Director to lead accounting, payroll and financial planning.",
        "The new {role_fin} will reconcile accounts, process payroll and prepare management accounts.",
        "We're adding {n_small} people to our accounts team as the business grows.",
        "Vacancy: {role_fin}, full-time, reporting to the CFO and based in our {city} head office.",
        "Are you a qualified accountant ready for your next step as our new {role_fin}?",
        "We need a {role_fin} to bring structure to our purchase-to-pay and order-to-cash processes.",
        "{company} is recruiting a head of operations to scale its back office.",
    ),
    "leadership_change": (
        "{company} has appointed {person} as its new {exec_title}, effective {month_name}.",
        "We are delighted to welcome {person} as {exec_title}, joining us from {other_company}.",
        "{person} has stepped down as {exec_title} after {n_digit} years with the company.",
        "After a long search, the board has named {person} {exec_title} of {company}.",
        "{person}, previously {exec_title2} at {other_company}, takes over as our {exec_title} this month.",
        "Our founder {person} will hand over the role of chief executive to {person2} on {date_text}.",
        "{company} announced today that {person} will join the leadership team as {exec_title}.",
        "We are sorry to say goodbye to our {exec_title}, {person}, who retires at the end of the year.",
        "{person} has been promoted to {exec_title} and will lead the company's next phase of growth.",
        "The company confirmed the departure of {exec_title} {person}; an interim replacement "
        "has been named.",
        "Please join us in welcoming {person}, our first ever {exec_title}.",
        "{company} reshuffles its management team: {person} becomes {exec_title} and {person2} "
        "moves to {exec_title2}.",
    ),
    "funding": (
        "{company} has raised {amount} in a {round} led by {investor}.",
        "We are excited to announce a {amount} investment from {investor} to accelerate our growth.",
        "{company} closed a {round} of {amount}, with participation from existing shareholders.",
        "The company has secured a {amount} credit facility from {bank} to fund its expansion plans.",
        "{investor} has taken a minority stake in {company}, investing {amount}.",
        "Today we completed our {round}, bringing total funding to {amount}.",
        "{company} received a {amount} growth loan from {bank} to invest in new equipment and systems.",
        "{company} plans to list its shares on the stock exchange next year, the board confirmed.",
        "Backed by {amount} of fresh capital from {investor}, {company} will now invest in "
        "technology and people.",
        "The {round}, worth {amount}, was oversubscribed, chief executive {ceo} said.",
        "{company} has won a {amount} government innovation grant to develop its next "
        "generation of services.",
        "We have agreed a {amount} investment with {investor}, our largest funding round so far.",
    ),
    "expansion": (
        "{company} is opening a new office in {new_city} to serve customers across {region}.",
        "We have signed the lease on a {n_digit},000 square foot {site_type} in {new_city}.",
        "{company} will enter the market in {new_country} next spring with a sales office in {new_city}.",
        "Our new {site_type} in {new_city} opens its doors on {date_text}, creating {n_digit} local jobs.",
        "With the opening of our {ordinal} location in {new_city}, {company} now operates in "
        "{n_small} regions.",
        "Our team has grown by {pct} per cent this year and we now employ more than {headcount} people.",
        "{company} is expanding into {new_country}, its first international market.",
        "Construction has started on a second {site_type} that will double our capacity.",
        "We are moving to a larger head office in {new_city} to make room for our growing team.",
        "{company} has launched operations in {new_country} and {new_country2}.",
        "The company plans to open {n_small} new branches across {region} by the end of next year.",
        "To keep up with demand, {company} has added a {site_type} in {new_city} to its network.",
    ),
    "merger_acquisition": (
        "{company} has acquired {target}, a {target_kind} based in {new_city}.",
        "We are pleased to announce that {company} and {target} have agreed to merge.",
        "{company} has been acquired by {acquirer} for an undisclosed sum.",
        "The acquisition of {target} adds {n_digit} people and a new customer base to {company}.",
        "{company} completed its purchase of {target} on {date_text}.",
        "{acquirer} has agreed to buy {company}; the deal is expected to close next quarter.",
        "Following the merger with {target}, the combined business will trade as {company}.",
        "{company} has signed a definitive agreement to acquire its long-time rival {target}.",
        "Today we welcome the team of {target}, which is now part of the {company} group.",
        "Shareholders approved the sale of {company} to {acquirer} at this week's general meeting.",
        "{company} is buying {target} to strengthen its presence in {region}.",
        "The takeover of {target} is the {ordinal} acquisition {company} has made in two years.",
    ),
    "partnership": (
        "{company} has signed a strategic partnership with {partner} to offer joint services "
        "to customers in {region}.",
        "We are proud to announce a new partnership with {partner}.",
        "{company} has won a {n_small}-year contract worth {amount} to supply {partner}.",
        "{partner} has chosen {company} as its preferred supplier for {region}.",
        "Under the new agreement, {company} and {partner} will develop services together for "
        "the {industry_lower} sector.",
        "{company} has been awarded a framework contract by {public_body}.",
        "We have teamed up with {partner} to bring our products to {n_small} more countries.",
        "Our new distribution agreement with {partner} puts {company} products in {n_digit}0 more outlets.",
        "{company} signed its largest ever customer contract this month, a multi-year deal with {partner}.",
        "{partner} and {company} today announced an alliance that combines their strengths in "
        "{industry_lower}.",
        "{company} has become an official reseller for {partner} in {country}.",
        "The company secured a major deal with {partner} to handle all of their {service_noun}.",
    ),
    "product_launch": (
        "{company} today launched {product}, a new {product_kind} for {audience}.",
        "We are excited to introduce {product}, available from {date_text}.",
        "Meet {product}: our new {product_kind} that helps {audience} {benefit}.",
        "{company} unveiled {product}, its first {product_kind}, at {event}.",
        "Our new {product_kind}, {product}, is now live for all customers.",
        "The launch of {product} marks the entry of {company} into a brand-new market.",
        "{company} has released version {version} of {product}, rebuilt from the ground up.",
        "Customers can now order {product}, the latest addition to our range.",
        "Today {company} announced {product}, a subscription service for {audience}.",
        "After two years of development we are launching {product} this month.",
        "{company} will roll out {product} across {region} in the coming weeks.",
        "Introducing {product}, the {product_kind} we built because our customers kept asking for it.",
    ),
    "cloud_migration": (
        "{company} is moving its servers out of the basement and into the cloud over the next six months.",
        "We have started migrating our core systems from our on-premises data centre to {cloud_platform}.",
        "Our IT roadmap for next year includes retiring the last of our physical servers and "
        "moving everything to the cloud.",
        "{company} is closing its data centre in {city} and moving its workloads to a public cloud provider.",
        "The project will modernise our ageing infrastructure by moving file shares, email and "
        "line-of-business apps to the cloud.",
        "We are replacing our end-of-life Windows Server 2012 machines with cloud-hosted services.",
        "{company} has chosen {cloud_platform} as the home for its applications when its "
        "hosting contract ends.",
        "We plan to lift and shift our ERP and file servers to a cloud platform before the "
        "hardware warranty expires.",
        "Moving to the cloud will let us stop buying servers every five years, says {ceo}.",
        "{company} is part-way through a cloud migration that will see all {n_small} offices "
        "run on hosted infrastructure.",
        "Our team is modernising the infrastructure that runs our warehouses, starting with a "
        "move to cloud hosting.",
        "We plan to migrate our small on-prem SQL Server estate to the cloud in {quarter_text} "
        "and would love to hear from anyone who has done it.",
    ),
    "ai_data_initiative": (
        "{company} is building a data platform to bring sales, stock and finance data together in one place.",
        "We have started a project to use AI to answer routine customer questions.",
        "Our new analytics team will give managers live dashboards instead of monthly spreadsheets.",
        "{company} is piloting generative AI assistants to help staff draft proposals and "
        "summarise meetings.",
        "We are investing in machine learning to forecast demand across our {n_small} sites.",
        "The company plans to automate invoice processing with AI by the end of the year.",
        "{company} has launched a data and AI programme led by its new head of data.",
        "We're rolling out AI copilots to our office staff to cut the time spent on paperwork.",
        "Next year we will consolidate our reporting into a single data warehouse with self-service BI.",
        "{company} is exploring how AI can predict machine failures on its production lines.",
        "A new automation initiative will remove manual data entry from our order process.",
        "We want to be data-driven: every team at {company} will get its own dashboards this year.",
    ),
    "business_apps_need": (
        "We have outgrown the spreadsheets we use to track orders and need a proper ERP system.",
        "{company} is selecting a new CRM to replace the contact lists its sales team keeps in Excel.",
        "Our accounting package can no longer cope with multiple entities and currencies, so we "
        "are looking at alternatives.",
        "We are running a tender for a cloud ERP system to replace {legacy_erp}, which goes out "
        "of support soon.",
        "Can anyone recommend an ERP for a business of about {headcount} staff that has "
        "outgrown {legacy_erp}?",
        "{company} plans to replace its paper job sheets with a low-code app that engineers can use on site.",
        "The finance team is evaluating ERP vendors as part of a wider back-office modernisation.",
        "We need a CRM that links quotes, orders and service tickets, because today nothing "
        "talks to anything.",
        "{company} has started a project to replace {legacy_erp} with a modern finance and "
        "operations system.",
        "Our stock control still lives in a spreadsheet, and we are now shortlisting inventory "
        "management systems.",
        "We're looking for a partner to help us automate approvals with low-code apps instead "
        "of email chains.",
        "The board approved a budget for a new ERP and CRM platform to support the next stage of growth.",
    ),
    "competitor_tech": (
        "We run our whole business on {competitor} and it works well for us.",
        "{company} has moved its {competitor_use} to {competitor}.",
        "Experience with {competitor} is essential for this role.",
        "Our team switched to {competitor} last year and we haven't looked back.",
        "{company} selected {competitor} as its new {competitor_category}.",
        "We are rolling out {competitor} to all staff this month.",
        "Does anyone have tips for administering {competitor} for a team of {headcount} people?",
        "All our {competitor_use} happens in {competitor}, so the new hire needs to know it well.",
        "{company} standardised on {competitor} for {competitor_use}.",
        "We've just signed a three-year agreement for {competitor}.",
        "Since we adopted {competitor}, {competitor_use} has been much easier for us.",
        "Our office runs on {competitor}, and we're looking at how far we can take it.",
    ),
    "security_incident": (
        "{company} was hit by a ransomware attack that took its systems offline for {n_small} days.",
        "We recently detected unauthorised access to one of our email accounts and have "
        "informed affected customers.",
        "A phishing campaign targeting our staff led to the compromise of several employee accounts.",
        "{company} has notified the regulator of a data breach affecting customer contact details.",
        "Our website and online ordering were unavailable for most of {weekday} because of a cyber attack.",
        "Criminals used a fake invoice email to trick our accounts team into paying {amount_small}.",
        "{company} confirmed that a cyber incident disrupted production at its {city} site.",
        "We got hit by ransomware last week and are still restoring from backups, so advice from "
        "other small firms is welcome.",
        "An attacker exploited an unpatched server to gain access to our network, the company said.",
        "We are writing to let you know about a security incident in which some customer data "
        "may have been exposed.",
        "{company} is recovering from a denial-of-service attack that knocked its booking system offline.",
        "Following a breach of a supplier's systems, some of the customer records held by "
        "{company} were stolen.",
    ),
    "compliance": (
        "{company} has achieved ISO 27001 certification for its information security management system.",
        "We are preparing for our first SOC 2 Type II audit, which starts in {month_name}.",
        "The new NIS2 rules mean {company} must report significant cyber incidents within 24 "
        "hours, and we are getting ready.",
        "{company} is working towards Cyber Essentials Plus certification before its next "
        "public-sector tender.",
        "To comply with HIPAA, we are reviewing how patient data is stored and shared across our clinics.",
        "Our GDPR audit found gaps in how we keep records of consent, and we are now fixing them.",
        "{company} has been fined by the data protection authority for failing to secure customer records.",
        "We passed our PCI DSS assessment this quarter after upgrading the systems that handle "
        "card payments.",
        "As a supplier to the financial sector, {company} must meet the DORA requirements by next January.",
        "The regulator has opened an investigation into how {company} handles personal data.",
        "We have appointed an external auditor to certify our compliance with {standard}.",
        "Customers increasingly ask for proof of {standard} compliance, so certification is our "
        "priority this year.",
    ),
    "modern_work": (
        "{company} is introducing a hybrid working policy that lets staff work from home up to "
        "three days a week.",
        "We are replacing every laptop in the business as part of a device refresh this year.",
        "Our new open-plan office in {city} is designed for collaboration, with bookable desks "
        "and video meeting rooms.",
        "All {headcount} of our staff will move to Windows 11 before support for Windows 10 runs out.",
        "We're rolling out new collaboration tools so our field teams can share files and chat "
        "from anywhere.",
        "{company} has become a remote-first company, with team members in {n_small} countries.",
        "We are equipping our sales team with new tablets and laptops so they can work on the road.",
        "The move to our new headquarters comes with a complete overhaul of our meeting rooms and devices.",
        "After the pilot, flexible working is now permanent for everyone at {company}.",
        "Our IT team is upgrading every PC in the company, many of which are more than five years old.",
        "We want colleagues across our {n_small} sites to work together as easily as if they "
        "were in one room, so we are rolling out new collaboration tools.",
        "{company} is refurbishing its offices to support hybrid work, with hot desks and a new "
        "video conferencing setup.",
    ),
    "cost_cutting": (
        "{company} will cut {n_digit} jobs as part of a restructuring plan.",
        "We have made the difficult decision to close our {city} site by the end of the year.",
        "{company} has frozen hiring and postponed all non-essential spending until further notice.",
        "The company has entered administration after failing to find a buyer.",
        "{company} is reducing its workforce by {pct} per cent in response to falling orders.",
        "Due to difficult trading conditions we are closing {n_small} of our stores.",
        "{company} filed for bankruptcy protection on {date_text}.",
        "We are pausing recruitment and reviewing every contract as part of a cost-reduction programme.",
        "Staff at {company} were told this week that the {city} plant will shut in {month_name}.",
        "{company} announced redundancies across its head office teams.",
        "To protect the business, we will consolidate our operations into a single site and cut costs.",
        "A spokesperson confirmed that {company} has put its expansion plans on hold and is "
        "cutting spending.",
    ),
}

# Ordinary `none` text.
FILLER: dict[str, T] = {
    "results": (
        "Revenue for the year rose {pct} per cent, driven by strong demand in {region}.",
        "Operating margin improved slightly compared with the same period last year.",
        "Orders in the third quarter were in line with our expectations.",
        "Full-year results will be published in {month_name}.",
        "Cash generation was strong, and the order book is healthy going into the new year.",
        "Our {product_kind} was the best-selling line for the {ordinal} year running.",
        "Like-for-like sales were flat, as a mild autumn weighed on footfall.",
        "Gross margin held steady despite higher input costs.",
    ),
    "trivia": (
        "The name {short} comes from the street where the company was founded in {year}.",
        "Our oldest customer has been ordering from us every month since {year}.",
        "Each {product} is checked by hand before it leaves our workshop.",
        "Our packaging is now made from {pct} per cent recycled material.",
        "The team drinks an estimated {n_digit} litres of coffee every week.",
        "Our first catalogue, printed in {year}, had just {n_digit} pages.",
        "Our longest-serving colleague joined us in {year} and still knows every customer by name.",
        "The {city} team brews its own coffee, and the debate about the best beans continues.",
    ),
    "events": (
        "Visit us at stand {stand} at {event} next month.",
        "Thank you to everyone who came to our open day in {city}.",
        "Our experts will host a free breakfast seminar on {date_text}.",
        "Tickets for our annual customer evening are now available.",
        "We will be closed on public holidays; normal service resumes the next working day.",
        "Catch our talk at {event}, where we share lessons from {n_digit} years in business.",
    ),
    "csr": (
        "Our staff raised {amount_small} for the local food bank this winter.",
        "Volunteers from our {city} office spent a day cleaning up the riverbank.",
        "We have sponsored the under-12s football team for another season.",
        "This year we planted {n_digit}00 trees with a local conservation charity.",
        "Every employee gets two paid volunteering days a year.",
        "Our apprentices organised a sponsored walk that raised {amount_small} for charity.",
        "We switched our {city} premises to renewable electricity in the spring.",
    ),
    "customer_story": (
        "{customer_name} relies on us to keep their {service_noun} running smoothly.",
        "'They always pick up the phone,' says {person2}, owner of {customer_name}.",
        "For {customer_name}, switching to our service cut delivery times in half.",
        "We have worked with {customer_name} for more than {n_small} years.",
        "Our project for {customer_name} was finished a week ahead of schedule.",
        "Read how {customer_name} grew its repeat business with a little help from us.",
        "When {customer_name} needed a same-day fix, our engineer was on site within two hours.",
    ),
    "marketing": (
        "Quality, reliability and friendly service have been at the heart of {company} since {year}.",
        "Get in touch today to find out how we can help your business.",
        "Sign up to our newsletter for seasonal offers and news.",
        "Free delivery on orders over {amount_small}.",
        "Our friendly team is here to help Monday to Friday, 8am to 6pm.",
        "We are proud to serve customers across {country} and beyond.",
        "Trusted by more than {headcount} businesses of every size.",
        "Browse our full range online or visit our showroom in {city}.",
        "Ask about our loyalty scheme for regular customers.",
    ),
}

_FILLER_TOPICS = tuple(FILLER)

# Titles of `none` posts by their main filler topic.
TOPIC_TITLES: dict[str, T] = {
    "results": ("Our year in numbers", "Trading update", "{month_name} business update"),
    "trivia": ("Behind the scenes at {short}", "Did you know?", "A little history"),
    "events": ("See you at {event}", "Events calendar", "Thank you for visiting"),
    "csr": ("Giving back to our community", "Our community work", "Sustainability update"),
    "customer_story": ("Customer spotlight", "How we helped {customer_name}", "Customer stories"),
    "marketing": (
        "News from {short}",
        "{month_name} roundup",
        "Why customers choose {short}",
        "A word from our founder",
    ),
}

# `none` text on the same topics as a signal type: it talks, it does not announce.
HARD_NEGATIVES: dict[str, T] = {
    "hiring": (
        "Recruiting good engineers is hard for every small business, according to a recent survey.",
        "We are hiring seasonal {job_plain}s for the holiday period.",
        "Our apprentices celebrated the end of their first year with a team lunch.",
        "Our {role_tech} {person2} shared five tips for writing better documentation.",
        "Salary surveys suggest pay for IT roles rose again this year.",
        "We are looking for a {job_plain} to join our friendly team in {city}.",
    ),
    "leadership_change": (
        "Our chief executive {ceo} spoke at {event} about the future of the industry.",
        "{ceo} celebrated ten years at the helm of {company} this spring.",
        "In this interview our finance director talks about her first job.",
        "The board met in {city} for its regular quarterly meeting.",
    ),
    "funding": (
        "Interest rates remain high, which makes borrowing expensive for many small firms.",
        "Our finance director explains how we think about cash flow in a quiet quarter.",
        "Venture capital investment in the sector fell last year, according to industry data.",
        "We donated {amount_small} to a local youth enterprise scheme.",
    ),
    "expansion": (
        "Our {city} office hosted a team barbecue last Friday.",
        "We have repainted the reception area at our head office.",
        "Many firms in {region} are considering new premises, a local survey found.",
        "Our delivery vans now cover the whole of the {city} area on weekdays.",
    ),
    "merger_acquisition": (
        "Analysts expect more consolidation in the sector over the next few years.",
        "We are often asked whether we plan to sell the business; the answer is no.",
        "A merger between two large rivals dominated the trade press this month.",
    ),
    "partnership": (
        "Thanks to all our partners who joined us at our annual conference.",
        "We believe long-term relationships with suppliers are the key to quality.",
        "Partnership is one of the five values we hire for.",
    ),
    "product_launch": (
        "Did you know our oldest product is still made to the original design?",
        "Here is how to clean and store your {product} properly.",
        "Our product manager explains why we update the user guide every year.",
        "Prices for our {product_kind} stay the same this year despite rising costs.",
    ),
    "cloud_migration": (
        "What is the cloud, anyway? Here is a short explainer for our customers.",
        "Many companies talk about moving to the cloud, but the reality varies a lot.",
        "Our online shop will be briefly unavailable on Sunday morning for routine maintenance.",
        "Cloud computing was a hot topic at {event} this year.",
    ),
    "ai_data_initiative": (
        "Artificial intelligence was the buzzword of the year at every trade show we visited.",
        "Our team read an interesting article on machine learning over lunch.",
        "Will AI replace the family doctor? Our guest columnist is not convinced.",
        "Data from the national statistics office shows retail sales rose in the spring.",
    ),
    "business_apps_need": (
        "Our finance team shared their favourite spreadsheet shortcuts in this month's newsletter.",
        "Invoices can be paid by card or bank transfer.",
        "You can track your order online with the reference in your confirmation email.",
    ),
    "competitor_tech": (
        "Follow us on LinkedIn, Facebook and Instagram for more updates.",
        "Download our latest brochure as a PDF.",
        "You can join the webinar from any browser; no download is needed.",
        "Our prices are listed in pounds, euros and dollars.",
    ),
    "security_incident": (
        "Ransomware is in the news again, so here are three simple habits that keep you safe online.",
        "Remember: we will never ask for your password by email.",
        "Our annual fire drill took place on {weekday} and everyone was outside in four minutes.",
        "Cyber attacks on small businesses are rising, a government report warns.",
    ),
    "compliance": (
        "Our privacy policy explains how we use cookies on this website.",
        "We have updated our terms and conditions; nothing changes for existing customers.",
        "All our products carry the CE mark.",
        "New accessibility rules for websites come into force next year across the EU.",
    ),
    "modern_work": (
        "The team enjoyed a day out at the coast as part of our summer social.",
        "Our office dog, Biscuit, has become the unofficial mascot of the {city} team.",
        "Remote work is here to stay, according to a study by a business school.",
        "Our meeting room is available to hire for local community groups.",
    ),
    "cost_cutting": (
        "We closed early on Christmas Eve so everyone could be with their families.",
        "Rising energy prices have squeezed margins across the industry, analysts say.",
        "Our summer sale ends on Sunday, with up to {pct} per cent off.",
        "The canteen will close for refurbishment for two weeks in {month_name}.",
    ),
}

TITLES: dict[str, T] = {
    "hiring_tech": ("We're hiring in IT", "Join our technology team", "Careers in tech at {short}"),
    "hiring_security": (
        "Help us keep our customers safe",
        "Security careers",
        "We're growing our security team",
    ),
    "hiring_sales": ("Join our sales team", "Growing our commercial team", "Customer-facing roles open now"),
    "hiring_finance": ("Finance team vacancies", "Join our finance team", "Back-office roles at {short}"),
    "leadership_change": (
        "Leadership update",
        "Changes to our management team",
        "Welcome to our new colleague",
        "A new chapter for {short}",
    ),
    "funding": (
        "{short} secures new investment",
        "Fuel for the next stage of growth",
        "An update on our funding",
    ),
    "expansion": (
        "{short} is growing",
        "Hello, {new_city}!",
        "A new home for {short}",
        "Expanding our footprint",
    ),
    "merger_acquisition": (
        "Joining forces",
        "{short} announces acquisition",
        "An important announcement about our ownership",
    ),
    "partnership": ("New partnership announced", "Stronger together", "{short} wins new contract"),
    "product_launch": ("Introducing {product}", "Something new from {short}", "Our newest launch"),
    "cloud_migration": (
        "Modernising our IT",
        "Notes from our infrastructure project",
        "Why we are rethinking our servers",
    ),
    "ai_data_initiative": ("Putting our data to work", "Our AI journey", "Smarter operations at {short}"),
    "business_apps_need": (
        "Time to upgrade our systems?",
        "Looking for advice on business software",
        "Our back-office project",
    ),
    "competitor_tech": ("The tools we use", "How we work", "Our software stack"),
    "security_incident": (
        "Important notice for customers",
        "Service disruption update",
        "An update on our systems",
    ),
    "compliance": ("Our commitment to security and privacy", "Certification news", "Regulatory update"),
    "modern_work": ("The future of work at {short}", "New ways of working", "Our new workplace"),
    "cost_cutting": ("A difficult decision", "Business update", "Statement from the board"),
    "none": (
        "News from {short}",
        "{month_name} roundup",
        "Behind the scenes at {short}",
        "Customer spotlight",
        "Our year in numbers",
        "See you at {event}",
        "Giving back to our community",
        "Tips from our team",
        "Product care guide",
        "A word from our founder",
    ),
}

INTROS: dict[str, T] = {
    "blog": (
        "It has been a busy few months here at {company}.",
        "We like to use this blog to share what we are working on.",
        "Regular readers will know that we rarely post about ourselves.",
        "Here is a short update from the team at {company}.",
    ),
    "news": (
        "{city}, {country} – {company}, a {industry_lower} business, today issued the following update.",
        "FOR IMMEDIATE RELEASE.",
        "{company} ({city}) shared the following news with customers and partners.",
    ),
    "forum": (
        "Long-time lurker, first post.",
        "Hi all, hoping someone here can help.",
        "Quick question for the community.",
        "Posting on behalf of our office.",
    ),
    "social": (
        "Big news from the team!",
        "Quick update:",
        "Some news to share.",
        "Exciting times at {short}.",
    ),
    "job": (
        "{company} is a {industry_lower} business based in {city}.",
        "We are a friendly, independent {industry_lower} company with customers across {country}.",
    ),
}

OUTROS: dict[str, T] = {
    "blog": (
        "Thanks for reading, and see you next month.",
        "As always, let us know what you think in the comments.",
        "More updates soon.",
    ),
    "news": (
        "For press enquiries, please contact our communications team.",
        "About {company}: {company} serves customers across {country} and beyond.",
        "Ends.",
    ),
    "forum": ("Thanks in advance!", "Any pointers appreciated.", "Cheers."),
    "social": ("#news", "#smallbusiness", "#teamwork", ""),
    "job": (
        "To apply, send your CV and a short cover letter.",
        "We welcome applications from people of all backgrounds.",
    ),
}

REPLIES: T = (
    "Following, we are in a similar position.",
    "We had the same question last year. Happy to share notes by private message.",
    "Have you asked your local IT partner? They usually know the options.",
    "Great question. Bumping this.",
    "Not much to add, but good luck with it!",
    "We went through something like this two years ago; take your time with the planning.",
)

# Forum threads that mention a company without any buying signal: (title, paragraphs...).
FORUM_THREADS: tuple[tuple[str, ...], ...] = (
    (
        "Reviews of {company}?",
        "Has anyone here worked with {company} for {service}?",
        "We are comparing a few local suppliers and would welcome honest reviews.",
    ),
    (
        "{company} opening hours over the holidays",
        "Does anyone know if {company} in {city} is open between Christmas and New Year?",
    ),
    (
        "Recommendation: {company}",
        "Just wanted to say {company} sorted out our {service} quickly and at a fair price.",
        "No affiliation, just a happy customer.",
    ),
    ("Anyone going to {event}?", "I saw that {company} will have a stand there. Worth the trip from {city}?"),
    (
        "Parking near {company}'s office?",
        "I have a meeting at {company} next week. Is there parking nearby or should I take the train?",
    ),
    (
        "Quote comparison",
        "We got quotes from {company} and two others for {service}.",
        "Prices were close; how do you usually decide between suppliers?",
    ),
)

JOB_BULLETS: T = (
    "Work closely with colleagues across the business",
    "Keep clear records and documentation",
    "Take part in our weekly team meetings",
    "Help new starters find their feet",
    "Bring ideas for doing things better",
    "Competitive salary and pension",
    "25 days' holiday plus bank holidays",
    "Free parking and a cycle-to-work scheme",
    "Training budget for every employee",
    "Flexible start and finish times",
)


def pick_one(rng: random.Random, options: Sequence[_T]) -> _T:
    """rng.choice without its per-call overhead (this is the hot path of world writing)."""
    return options[int(rng.random() * len(options))]


class _Slots(dict[str, str]):
    """Slot values for one sentence: fixed context first, then drawn from the pools."""

    def __init__(self, rng: random.Random, context: Mapping[str, str]) -> None:
        super().__init__(context)
        self._rng = rng

    def __missing__(self, key: str) -> str:
        if key.startswith("competitor"):
            name, category, use, _area = pick_one(self._rng, COMPETITORS)
            self.update(competitor=name, competitor_category=category, competitor_use=use)
            return self[key]
        pool = POOLS.get(key)
        value = pick_one(self._rng, pool) if pool else key
        self[key] = value
        return value


def fill(template: str, rng: random.Random, context: Mapping[str, str]) -> str:
    text = template.format_map(_Slots(rng, context))
    return text[:1].upper() + text[1:] if text and text[0] in string.ascii_lowercase else text


def signal_sentence(signal_type: str, rng: random.Random, context: Mapping[str, str]) -> tuple[str, int]:
    """One planted sentence of ``signal_type`` and the index of the phrasing used."""
    templates = SIGNALS[signal_type]
    index = rng.randrange(len(templates))
    return fill(templates[index], rng, context), index


def filler_sentence(rng: random.Random, context: Mapping[str, str], topic: str | None = None) -> str:
    topic = topic or pick_one(rng, _FILLER_TOPICS)
    return fill(pick_one(rng, FILLER[topic]), rng, context)


def hard_negative(rng: random.Random, context: Mapping[str, str]) -> tuple[str, str]:
    """A sentence on a signal's topic that is not a signal, and the topic it resembles."""
    topic = pick_one(rng, tuple(HARD_NEGATIVES))
    return fill(pick_one(rng, HARD_NEGATIVES[topic]), rng, context), topic


def pick(kind: str, table: Mapping[str, T], rng: random.Random, context: Mapping[str, Any]) -> str:
    options = table.get(kind) or table["blog"]
    return fill(pick_one(rng, options), rng, context)


