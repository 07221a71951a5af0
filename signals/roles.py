"""A job title's hiring type: hiring_tech, hiring_security, hiring_sales, hiring_finance, or
none for a role the taxonomy has no type for (marketing, design, legal, care, driving ...).

A job ad's title names the role precisely ("Payroll Specialist"), while its body talks about
the team, the tools and the company, which is where a passage classifier goes wrong: an ad for
a sales role that mentions the security team is no security hire. So a job ad is typed by its
title. The word lists follow the taxonomy's descriptions (signals/taxonomy.toml): security
roles but not guarding; IT, cloud, data, developer and AI roles; sales and customer-service
teams and partner (channel) management; finance, accounting, procurement and operations:
supply chain, manufacturing, planning and administration (the back office the taxonomy's
hiring_finance stands for). Families are tried in that order, so a "Security Engineer" is a
security hire and a "Sales Engineer" a sales hire.
"""

from __future__ import annotations

import re

MAX_TITLE_WORDS = 16

# Guarding and premises security are not the security roles the taxonomy means.
_PHYSICAL_SECURITY = re.compile(
    r"\b(physical|campus|event|protective|guard|guarding|patrol|door ?supervisor|loss prevention|"
    r"concierge|cctv operator|retail security|static security)\b"
)
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "hiring_security",
        re.compile(
            r"\b(security|cyber ?security|cyber|infosec|ciso|soc|iam|penetration|pen ?tester|"
            r"threat|identity and access|vulnerability|forensics?|malware|incident response)\b"
        ),
    ),
    (
        "hiring_sales",
        re.compile(
            r"\b(sales|salesperson|account (executive|manager|director|representative|exec)s?|"
            r"business development|customer (success|service|support|care|experience)|"
            r"client (services|success|service)|inside sales|sdr|bdr|key account|"
            r"partner (manager|development|sales)|partnerships|channel (manager|sales|partner)|presales|"
            r"pre sales|support (specialist|representative|agent|advisor|associate)|"
            r"call cent(er|re)|telesales|account management)\b"
        ),
    ),
    (
        "hiring_finance",
        re.compile(
            r"\b(finance|financial|accountant|accounting|accounts (payable|receivable)|"
            r"bookkeep\w*|controller|comptroller|payroll|treasury|treasurer|tax|audit|auditor|"
            r"fp&a|cfo|credit control\w*|billing|procurement|purchasing|buyer|sourcing|"
            r"supply chain|logistics|operations manager|actuary|actuarial|underwriter|"
            r"manufacturing|commodity|materials|(demand|supply|capacity|inventory|production) "
            r"(planner|planning)|administrative|executive assistant)\b"
        ),
    ),
    (
        "hiring_tech",
        re.compile(
            r"\b(engineer|engineering|developer|programmer|software|devops|dev ops|sre|"
            r"site reliability|sysadmin|systems? administrator|network (administrator|engineer|"
            r"technician)|database|dba|data (scientist|engineer|analyst|architect)|"
            r"machine learning|ml|ai|artificial intelligence|architect|it|information technology|"
            r"technical (lead|support)|tech lead|helpdesk|help desk|service desk|desktop support|"
            r"data science|statistician|business intelligence|analytics engineer|"
            r"full ?stack|front ?end|back ?end|web developer|ios|android|qa|quality assurance|"
            r"test automation|firmware|cloud (engineer|architect|developer|consultant|specialist|"
            r"administrator))\b"
        ),
    ),
)
# Engineering that is not IT: building, plant and process trades.
_NOT_IT_ENGINEERING = re.compile(
    r"\b(civil|structural|chemical|mechanical|maintenance|building services|hvac|process|"
    r"manufacturing|site|field service|landscape|quantity surveyor|marine)\b"
)
_IT_ONLY = re.compile(r"\b(software|developer|data|cloud|devops|it|network|systems?|ai|ml)\b")
# A word of the field (cloud, platform, AI) does not make a role technical: the head noun
# does, so a "Cloud Program Manager" is a programme manager and a "Cloud Engineer" an engineer.
# Head words of a job title for a role ascent has no type for; they make a title a role.
_ANY_ROLE = re.compile(
    r"\b(manager|assistant|officer|specialist|coordinator|lead|director|associate|"
    r"representative|designer|driver|nurse|operative|clerk|cleaner|barista|chef|electrician|"
    r"consultant|intern|internship|advisor|adviser|agent|executive|head of|vp|vice president|"
    r"recruiter|writer|editor|counsel|lawyer|attorney|paralegal|marketer|marketing|analyst|"
    r"researcher|strategist|producer|planner|principal|apprentice|trainee|teacher|worker|"
    r"technician|administrator|receptionist|operator|supervisor|mechanic|therapist|pharmacist|"
    r"carer|care assistant|porter|waiter|waitress|bartender|cook|housekeeper|labourer|"
    r"laborer|fitter|welder|plumber|carpenter|joiner|scientist|partner|programme|program)\b"
)
_NOISE = re.compile(r"[^\w&.+#]+")


def normal_title(title: str) -> str:
    """Lower case, punctuation as spaces (keeping &, ., + and # of "FP&A", ".NET", "C#")."""
    return " ".join(_NOISE.sub(" ", title.casefold()).split())


def role_family(title: str) -> str | None:
    """The hiring type a job title names, or None when it names no typed role."""
    text = normal_title(title)
    if not text or len(text.split()) > MAX_TITLE_WORDS:
        return None
    for family, pattern in _FAMILIES:
        if not pattern.search(text):
            continue
        if family == "hiring_security" and _PHYSICAL_SECURITY.search(text):
            continue
        if family == "hiring_tech" and _NOT_IT_ENGINEERING.search(text) and not _IT_ONLY.search(text):
            continue
        return family
    return None


def is_role_title(title: str) -> bool:
    """True when a title reads as one job's title (a typed role or any other role)."""
    text = normal_title(title)
    if not text or len(text.split()) > MAX_TITLE_WORDS:
        return False
    return role_family(title) is not None or bool(_ANY_ROLE.search(text))


# A job ad's opening: the role's title, then a break (". ", " - ", " | ", ": " or a new line).
_TITLE_BREAK = re.compile(r"\s*(?:\.\s|\s[-–—|]\s|:\s|\n)")
# What the rest of a job ad's opening says: what the role needs and how to apply.
_AD_WORDS = re.compile(
    r"\b(responsibilit\w*|qualifications?|requirements?|required|requires|experience|years of|"
    r"degree|bachelor'?s|master'?s|you will|we are (looking|seeking|hiring)|looking for|the role|"
    r"this role|the position|candidates?|apply|salary|full[- ]time|part[- ]time|clearance|"
    r"skills|preferred|must have|job description|join (our|the) team)\b",
    re.IGNORECASE,
)
# Or it goes straight into the duties, each an order in the imperative ("Manage the team's
# budget.", "Work with partners to ..."): a verb of duties, capitalised, opens the rest.
_DUTY_OPENING = re.compile(
    r"(?:manage|work|develop|build|lead|provide|design|partner|support|conduct|contribute|help|"
    r"drive|collaborate|deliver|create|define|consult|perform|serve|hire|implement|review|"
    r"identify|engage|plan|communicate|ensure|use|assist|apply|own|negotiate|cultivate|set|"
    r"oversee|coordinate|establish|generate|act|analy[sz]e|recruit|advise|collect|guide|write|"
    r"investigate|source|take|prioriti[sz]e|maintain|research|execute|assess|influence|"
    r"facilitate|optimi[sz]e|handle|diagnose|understand|shape|produce|align|prepare|monitor|"
    r"evaluate|report|respond|resolve|test|train|mentor|operate|administer|troubleshoot|"
    r"install|configure|deploy|program|code|architect|sell|prospect|close|grow|expand|"
    r"answer|greet|process|reconcile|audit|forecast|budget|model|track|improve|"
    r"represent|promote|run|organi[sz]e|schedule|document|teach|care|be|become|obtain|solve|"
    r"gather|onboard|maximi[sz]e|network|initiate|present|offer)\b",
    re.IGNORECASE,
)
TITLE_SEARCH_CHARS = 160
# A title may hold a period after a short abbreviation ("Sr.", "Jr.", "Mgr."), no sentence end.
_ABBREVIATION_END = re.compile(r"(?:^|[\s.])[A-Z][a-z]{0,2}$")


def job_ad_title(text: str) -> str | None:
    """The role's title when a passage opens a job ad ("Payroll Specialist. You will run ...",
    "Payroll Specialist. Run the monthly payroll ..."), else None: a title that reads as one
    job's title, then words only job ads use or a duty in the imperative."""
    for match in _TITLE_BREAK.finditer(text[:TITLE_SEARCH_CHARS]):
        if match.start() == 0:
            return None
        title, rest = text[: match.start()].strip(), text[match.end() :]
        if not is_role_title(title):
            if _ABBREVIATION_END.search(title):
                continue  # "Sr. Data Scientist. ..." breaks after "Sr" first
            return None
        if _AD_WORDS.search(rest) or (rest[:1].isupper() and _DUTY_OPENING.match(rest)):
            return title
        if "." in match.group() or "\n" in match.group():
            return None  # a sentence ended: what follows is no part of a title
        # "Designer, Payments - London. Develop ...": the place or team is part of the title
    return None
