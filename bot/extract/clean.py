"""The Korean-aware cleaner: removes what trafilatura leaves, and works on plain text too.

Rules are about the *shape* of boilerplate, never about particular sites:
short headline-like runs with no sentence ending, numbered headline lists,
list headings such as 많이 본 뉴스 / 최신기사 / Most read, comment-policy
language, share and print button rows, copyright and photo-credit lines, page
info (작성자/작성일/조회), and paragraphs printed twice. Bylines and datelines are
lifted out as metadata instead of staying in the body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..text import content_tokens

# A line ends like a sentence: a stop (. ! ? 。) or the verb ending 다, perhaps inside quotes.
# Not a bare 요/음: 필요, 수요, 중요 are nouns that end headlines.
_SENTENCE_END = re.compile(r"(?:[.!?。！？]|다)[\"'”’」』)\]]*\s*$")
_TRUNCATED = re.compile(r"(?:\.\.|…)\s*$")

_LIST_HEADING = re.compile(
    r"^\W*(?:많이\s*(?:본|읽은)|가장\s*많이|인기\s*(?:기사|뉴스|검색)|실시간\s*(?:인기|검색|뉴스)|랭킹|"
    r"top\s*\d+|최신\s*(?:기사|뉴스)|최근\s*기사|관련\s*(?:기사|뉴스)|추천\s*(?:기사|뉴스)|주요\s*(?:기사|뉴스)|"
    r"이\s*시각\s*(?:주요|인기)|포토\s*뉴스|기자의\s*다른\s*기사|오늘의\s*(?:인기|주요)|"
    r"most\s*(?:read|viewed|popular|shared)|related\s*(?:articles|stories|news)|latest\s*(?:news|stories|articles)|"
    r"trending|recommended|you\s*may\s*also\s*like|read\s*more|热门|相关(?:阅读|新闻|文章)|推荐阅读|最新(?:新闻|文章)|"
    r"人気記事|関連記事)",
    re.IGNORECASE,
)
_COMMENT_HEADING = re.compile(
    r"^\W*(?:댓글|comments?|评论|留言|コメント)\s*(?:[(\[]?\s*\d+\s*[)\]]?|목록|쓰기|보기|달기)?\s*\W*$",
    re.IGNORECASE,
)
_COMMENT_POLICY = re.compile(
    r"댓글|\d+\s*byte|\d+\s*자까지|명예\s*훼손|욕설|비하|인신\s*공격|관리자의?\s*판단|운영\s*원칙|로그인\s*(?:후|하)|"
    r"comment(?:s|ing)?\s+(?:policy|guidelines|are closed)|leave a (?:comment|reply)|sign in to comment|发表评论",
    re.IGNORECASE,
)
_SKIP_LINK = re.compile(
    r"^\W*(?:skip\s+to\s+(?:main\s+)?(?:content|navigation)|본문\s*바로\s*가기|메뉴\s*바로\s*가기|주메뉴\s*바로\s*가기|"
    r"跳到主要内容|跳转到内容)\W*$",
    re.IGNORECASE,
)
_SHARE_WORD = re.compile(
    r"(?:페이스북|트위터|네이버|카카오톡|카카오스토리|카카오|유튜브|밴드|라인|텔레그램|링크\s*복사|url|이메일|메일|"
    r"facebook|twitter|x\.com|linkedin|whatsapp|email|weibo|wechat|微博|微信|"
    r")?\s*(?:공유하기|공유|보내기|인쇄하기|인쇄|스크랩|구독|북마크|좋아요|(?:url|주소|링크)\s*복사|share|print|tweet|subscribe|"
    r"bookmark|分享|打印)",
    re.IGNORECASE,
)
_FONT_WORD = r"(?:(?:본문\s*)?(?:글자|글씨|폰트)(?:\s*크기)?|text\s*size|font\s*size|확대|축소|크게|작게|[aA][+-]|가)"
_FONT_CONTROL = re.compile(rf"^\W*{_FONT_WORD}(?:[\s|·/]+{_FONT_WORD})*\W*$", re.IGNORECASE)
_COPYRIGHT = re.compile(
    r"ⓒ|©|\(c\)\s|copyright|all rights reserved|무단\s*(?:전재|복제|배포|전제)|재배포\s*금지|저작권자|版权所有|未经授权|"
    r"無断転載",
    re.IGNORECASE,
)
_PHOTO_CREDIT = re.compile(
    r"^\W*(?:(?:사진|그래픽|자료|영상|출처|photo|image|credit|图|图片|写真)\s*[=:/|]\s*[^\s.]{1,30}(?:\s+[^\s.]{1,12})?"
    r"|(?:연합뉴스|뉴시스|뉴스1|getty\s*images|afp|ap|reuters|ap\s*photo)(?:\s*(?:제공|자료\s*사진))?)\W*$",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^\s*[▲△▼]\s*\S")
# A photo caption: a sentence, then the picture's credit (an agency, or "/source" as Chosun and others print it).
_CAPTION_CREDIT = re.compile(
    r"(?<=[.다])\s*(?:/\s*[^\s/.]{2,20}|(?:연합뉴스|뉴스1|뉴시스|로이터|신화|AP|AFP|EPA|UPI|게티이미지(?:뱅크|코리아)?|"
    r"getty\s*images|reuters|xinhua)(?:\s*(?:연합뉴스|제공|자료\s*사진))?)\s*$",
    re.IGNORECASE,
)
_PAGE_INFO = re.compile(
    r"^\W*(?:페이지\s*정보|기사\s*정보|본문|관련\s*링크|목록|이전\s*글|다음\s*글|글\s*목록|"
    r"작성자\s*\S+.*(?:작성일|조회).*|(?:작성일|등록일|조회수?|추천수?)\s*[:\d].*)\W*$"
)
_DATELINE = re.compile(
    r"^\W*(?:입력|수정|등록|발행|게재|업데이트|승인|기사\s*입력|최종\s*수정|published|updated|posted|发布(?:时间)?|"
    r"更新)\s*[:：]?\s*\d{2,4}[.\-/년]\s*\d{1,2}[.\-/월]\s*\d{1,2}.*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^\W*(?:\S+\s+)?[가-힣]{2,4}\s*(?:기자|특파원|캐스터|앵커|논설위원|객원기자|선임기자)(?:\s*외\s*\d+\s*명)?"
    r"(?:\s+[\w.+-]+@[\w.-]+)?(?:\s+\d{4}[-.]\d{2}[-.]\d{2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)?\s*$"
    r"|^\W*by\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*$"
)
_TRAILING_BYLINE = re.compile(r"(?<=[.!?다”\"'])\s+(?P<name>[가-힣]{2,4})\s*(?:기자|특파원)\s*(?:[\w.+-]+@[\w.-]+)?\s*$")
_LEADING_CREDIT = re.compile(
    r"^\s*(?:\[(?P<outlet>[^\]\s][^\]]{0,20})\]|\((?P<place>[가-힣A-Za-z ]{1,12})=(?P<agency>[가-힣A-Za-z ]{1,12})\))"
    r"(?:\s*[가-힣]{2,4}\s*(?:기자|특파원)\s*=)?\s*(?=\S)"
)
_NUMBERED = re.compile(r"^\s*[-•·*]?\s*\d{1,2}\s*[.)]\s*\S")
_LIST_NUMBER = re.compile(r"^\s*[-•·*]?\s*\d{1,2}\s*(?:[.)]\s*|\s+)\S")   # under a list heading: "1 환율…" too
_FINAL_STOP = re.compile(r"[.!?。！？][\"'”’」』)\]]*\s*$")
_REPORTED = re.compile(r"(?:(?<!니)다\.|。)[\"'”’」』)\]]*\s*$")  # plain written Korean, or a Chinese full stop
_PUNCT_ONLY = re.compile(r"^[\W_]*$")
# Lines that close an article or sit under it on Korean sites: an end mark, the reporter's address
# alone, a tip line, a row of hashtags, the notice a copy-link button leaves behind.
_END_MARK = re.compile(r"^\s*[(<\[/]\s*(?:끝|END|완|종)\s*[)>\]/]\s*$", re.IGNORECASE)
_EMAIL_ONLY = re.compile(r"^\W*(?:[가-힣]{2,4}\s*)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+\W*$")
_TIP_LINE = re.compile(r"(?:기사\s*문의|제보\s*(?:하기|안내)?\s*[:：]|카톡\s*/\s*라인|news\s*tips?\s*[:：])", re.IGNORECASE)
_HASHTAGS = re.compile(r"^\s*(?:#[^\s#]+\s*){2,}$")
_COPIED = re.compile(r"(?:URL|주소|링크)(?:이|가)?\s*복사(?:되었습니다|됐습니다|되었어요)|link copied", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CleanOptions:
    min_body_chars: int = 30
    max_headline_chars: int = 120
    dedup_min_chars: int = 8
    # Trim headline-like lines before the first and after the last body paragraph (menus,
    # breadcrumbs, footers). Right for plain text; on HTML trafilatura has already cut the page
    # chrome structurally, and trimming there loses short real content (recipes, lists).
    trim_edges: bool = True
    max_decks: int = 3      # subhead lines kept right above the body
    min_fact_bullets: int = 3  # bullets with figures that make a list after the body the article's own


@dataclass(slots=True)
class Cleaned:
    lines: list[str]
    removed: list[str] = field(default_factory=list)
    datelines: list[str] = field(default_factory=list)
    author: str | None = None
    title: str | None = None


def _visible(line: str) -> str:
    """Zero-width spaces and stray BOMs removed (str.translate with a table is slower than this)."""
    if "\u200b" in line or "\ufeff" in line:
        return line.replace("\u200b", "").replace("\ufeff", "")
    return line


def _nfc(line: str) -> str:
    return line if unicodedata.is_normalized("NFC", line) else unicodedata.normalize("NFC", line)


def _key(line: str) -> str:
    return "".join(unicodedata.normalize("NFKC", line).split()).casefold()


def is_body_like(line: str, options: CleanOptions) -> bool:
    return (len(line) >= options.min_body_chars and bool(_SENTENCE_END.search(line))
            and not _TRUNCATED.search(line))


def is_headline_like(line: str, options: CleanOptions) -> bool:
    if len(line) > options.max_headline_chars:
        return False
    return not _SENTENCE_END.search(line) or bool(_TRUNCATED.search(line)) or line.rstrip().endswith("?")


def _literals(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words))


# Literal words that must occur before a slower pattern is tried: most lines hold none of them.
_SHARE_HINTS = _literals(("공유", "보내기", "인쇄", "스크랩", "구독", "북마크", "좋아요", "복사", "share", "print", "tweet",
                "subscribe", "bookmark", "分享", "打印"))
_FONT_WORDS = re.compile(_FONT_WORD, re.IGNORECASE)
_COPYRIGHT_HINTS = _literals(("ⓒ", "©", "(c)", "copyright", "rights reserved", "무단", "재배포", "저작권", "版权", "未经", "無断"))
_POLICY_HINTS = _literals(("댓글", "byte", "자까지", "명예", "욕설", "비하", "인신", "관리자", "운영", "로그인", "comment",
                 "leave a", "sign in", "评论"))
_ANY_HINT = re.compile("|".join(h.pattern for h in (_SHARE_HINTS, _COPYRIGHT_HINTS, _POLICY_HINTS))
                       + r"|문의|제보|복사|copied|@|#|▲|△|▼")


def _hinted(low: str, hints: re.Pattern[str]) -> bool:
    return hints.search(low) is not None


def _is_share_row(line: str) -> bool:
    """Share, print and copy-link buttons, perhaps beside font-size buttons, and nothing else."""
    if not _hinted(line.casefold(), _SHARE_HINTS):
        return False
    rest = _FONT_WORDS.sub(" ", _SHARE_WORD.sub(" ", line))
    return len(rest.strip(" |·/,-")) <= 3 and rest != line


def _line_kind(line: str) -> str | None:
    """The reason a single line is boilerplate on its own, or None."""
    if len(line) >= 40 and _FINAL_STOP.search(line) and not _ANY_HINT.search(line.casefold()):
        return None  # a sentence with none of the words the rules below need: most of an article
    if _PUNCT_ONLY.match(line):
        return "punctuation"
    if _SKIP_LINK.match(line):
        return "skip-link"
    if len(line) <= 200 and _is_share_row(line):
        return "share"
    if _FONT_CONTROL.match(line):
        return "font-size"
    low = line.casefold()
    if len(line) <= 200 and _hinted(low, _COPYRIGHT_HINTS) and _COPYRIGHT.search(line):
        return "copyright"
    if _PHOTO_CREDIT.match(line):
        return "photo-credit"
    if _END_MARK.match(line) or _EMAIL_ONLY.match(line) or _HASHTAGS.match(line):
        return "end-of-article"
    if len(line) <= 120 and (_TIP_LINE.search(line) or _COPIED.search(line)):
        return "tip-line"
    if _CAPTION.match(line) or (len(line) <= 250 and _CAPTION_CREDIT.search(line)):
        return "caption"
    if _PAGE_INFO.match(line):
        return "page-info"
    if len(line) <= 200 and _hinted(low, _POLICY_HINTS) and _COMMENT_POLICY.search(line) \
            and not _looks_like_reporting(line):
        return "comment-policy"
    return None


def _looks_like_reporting(line: str) -> bool:
    """An article may report on comments (악성 댓글 규제) in full sentences. Those end in the plain
    written form (…밝혔다.); comment rules address the reader (…삭제될 수 있습니다, …바랍니다)."""
    if re.search(r"byte|자까지", line):
        return False
    return (len(line) >= 60 and bool(_SENTENCE_END.search(line))) or (len(line) >= 30 and bool(_REPORTED.search(line)))


def _is_list_item(line: str, options: CleanOptions) -> bool:
    """A line of a list under a heading such as 많이 본 뉴스: numbered, or a short headline. Headlines
    often end in a verb (…쓸어담았다) but never with the full stop of a sentence."""
    if _LIST_NUMBER.match(line) and len(line) <= options.max_headline_chars:
        return True
    if len(line) <= 60 and not _FINAL_STOP.search(line):
        return True
    return is_headline_like(line, options) and not is_body_like(line, options)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def clean_lines(raw_lines: list[str], options: CleanOptions, title: str | None = None) -> Cleaned:
    # isprintable() is a fast C test: only lines holding a control or format character are scrubbed.
    lines = [ln if ln.isprintable() else _CONTROL.sub("", _ANSI.sub("", ln)) for ln in raw_lines]
    lines = [" ".join(_visible(_nfc(ln)).split()) for ln in lines]
    lines = [ln for ln in lines if ln]
    out = Cleaned(lines=[], title=title)

    # 1. Metadata lines and single-line boilerplate.
    kept: list[str] = []
    in_comments = False
    for line in lines:
        if len(line) > 160 and not in_comments and not _CAPTION.match(line):
            kept.append(line)  # a paragraph: every single-line rule below is for short lines
            continue
        if _DATELINE.match(line) or (_PAGE_INFO.match(line) and re.search(r"\d", line)):
            out.datelines.append(line)
            out.removed.append(line)
            continue
        byline = _BYLINE.match(line)
        if byline and len(line) <= 80:
            out.author = out.author or _author_of(line)
            out.datelines.append(line)
            out.removed.append(line)
            continue
        if _COMMENT_HEADING.match(line):
            in_comments = True
            out.removed.append(line)
            continue
        if in_comments and (len(line) < 150 or _COMMENT_POLICY.search(line)):
            out.removed.append(line)  # comments are short; a long paragraph means the article goes on
            continue
        in_comments = False
        if _line_kind(line):
            out.removed.append(line)
            continue
        kept.append(line)

    # 2. Blocks: a list heading and the headline run after it; numbered headline lists.
    kept = _drop_blocks(kept, options, out.removed)

    # 3. The title printed as the first line, and paragraphs printed twice.
    seen: set[str] = set()
    title_key = _key(title) if title else None
    deduped: list[str] = []
    for line in kept:
        k = _key(line)
        if title_key and k == title_key:
            out.removed.append(line)
            continue
        if len(k) >= options.dedup_min_chars and k in seen:
            out.removed.append(line)
            continue
        seen.add(k)
        deduped.append(line)

    # 4. Headline-like edges: nav, breadcrumbs and footers around the body.
    body = [i for i, ln in enumerate(deduped) if is_body_like(ln, options)]
    if body:
        first, last = body[0], body[-1]
        if out.title is None and options.trim_edges:
            # The first headline about the body; subheads under it are longer, navigation shares no word.
            heads = [ln for ln in deduped[:first] if is_headline_like(ln, options) and len(ln) >= 10]
            body_words = _body_words(deduped, first)
            about = [ln for ln in heads if len(set(content_tokens(ln)) & body_words) >= 2]
            out.title = about[0] if about else max(heads, key=len, default=None)
        decks = _decks(deduped, first, out.title, options) if first and options.trim_edges else set()
        decks |= _fact_list(deduped, last, options)
        for i, line in enumerate(deduped):
            if options.trim_edges and (i < first or i > last) and is_headline_like(line, options) and i not in decks:
                out.removed.append(line)
            else:
                out.lines.append(_strip_inline_credits(line, out))
    else:
        out.lines = deduped
    return out


_BULLET_FACT = re.compile(r"^\s*[-•·▪]\s*\S.*\d")


def _fact_list(lines: list[str], last: int, options: CleanOptions) -> set[int]:
    """A bulleted list of facts right after the body's last paragraph (- 면적 3만㎡, 로봇 720대):
    the article's own figures. Lists of headlines carry no bullets of figures, or sit under a
    heading the block rules already removed."""
    run = []
    start = last + 1
    if start < len(lines) and len(lines[start]) <= 40 and not _LIST_HEADING.match(lines[start]) \
            and start + 1 < len(lines) and _BULLET_FACT.match(lines[start + 1]):
        start += 1  # the list's own heading ("세계 최첨단 다크 팩토리 7선") stays out; its bullets follow
    for i in range(start, len(lines)):
        if not (_BULLET_FACT.match(lines[i]) or (lines[i].lstrip()[:1] in "-•·▪" and len(lines[i]) <= 80)):
            break
        run.append(i)
    figured = [i for i in run if _BULLET_FACT.match(lines[i])]
    return set(run) if len(figured) >= options.min_fact_bullets else set()


def _body_words(lines: list[str], first: int) -> set[str]:
    """Words of the body's first paragraphs: enough to tell a subhead from navigation, cheap on long pages."""
    return set(content_tokens(" ".join(lines[first:first + 12])))


def _decks(lines: list[str], first: int, title: str | None, options: CleanOptions) -> set[int]:
    """Subheads between the headline and the body (올트먼 "머스크 틀렸다" 즉각 반박): the article's
    own summary, often its key claims. Navigation and breadcrumbs above the body share no words
    with it; a subhead shares several."""
    body = _body_words(lines, first)
    title_words = set(content_tokens(title)) if title else set()
    title_key = _key(title) if title else None
    out: set[int] = set()
    for i in range(first - 1, max(-1, first - 1 - options.max_decks), -1):
        line = lines[i]
        if len(line) < 12 or _key(line) == title_key or not is_headline_like(line, options) or _BREADCRUMB.search(line):
            break
        words = set(content_tokens(line))
        if len(words & body) < 2 and not (words & body and words & title_words):
            break
        out.add(i)
    return out


_BREADCRUMB = re.compile(r"\S\s*[>›»]\s*\S")


def _drop_blocks(lines: list[str], options: CleanOptions, removed: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LIST_HEADING.match(line) and len(line) <= 40 and not is_body_like(line, options):
            j = i + 1
            while j < len(lines) and _is_list_item(lines[j], options):
                j += 1
            removed.extend(lines[i:j])
            i = j
            continue
        if _NUMBERED.match(line):
            j = i
            while j < len(lines) and _NUMBERED.match(lines[j]) and len(lines[j]) <= options.max_headline_chars:
                j += 1
            headlines = sum(is_headline_like(ln, options) for ln in lines[i:j])
            if j - i >= 3 and headlines * 3 >= (j - i) * 2:  # a ranking list, not numbered steps
                removed.extend(lines[i:j])
                i = j
                continue
        kept.append(line)
        i += 1
    return kept


def _author_of(line: str) -> str | None:
    m = re.search(r"([가-힣]{2,4})\s*(?:기자|특파원|캐스터|앵커|논설위원|객원기자|선임기자)", line)
    if m:
        return m.group(1)
    m = re.match(r"^\W*by\s+(.+)$", line, re.IGNORECASE)
    return m.group(1).strip() if m else None


def _strip_inline_credits(line: str, out: Cleaned) -> str:
    m = _TRAILING_BYLINE.search(line)
    if m:
        out.author = out.author or m.group("name")
        out.removed.append(line[m.start():].strip())
        line = line[: m.start()].rstrip()
    m = _LEADING_CREDIT.match(line)
    if m and len(line) - m.end() >= 20:
        out.removed.append(line[: m.end()].strip())
        line = line[m.end():]
    return line
