"""Long synthetic screenplays for scale tests and benchmarks, deterministic per seed.

The mix follows feature scripts: a scene every page or so (short, medium and long ones) at a
pool of recurring sets, a cast of 15 to 30 whose presence falls off like a power law, characters
introduced in capitals with an age, action paragraphs of one to six lines, speeches with
occasional parentheticals and extensions, transitions, dual dialogue, notes, sections, synopses,
emphasis, a boneyard, a lyric, and now and then a forced page break.

Length is planned on the industry grid (US Letter, Courier 12: 55 lines a page, action 61 and
dialogue 36 characters wide) with a small page simulator that follows the paginator's rules
(headings kept with what follows, short action kept whole, speeches split with MORE/CONT'D), so
the printed page count lands on the request, typically exactly.

    python -m studio_kit.screenplay.synthetic 120 out.fountain [seed]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from ..common.errors import Invalid

LINES_PER_PAGE = 55
ACTION_WIDTH = 61
DIALOGUE_WIDTH = 36
PAREN_WIDTH = 26
DUAL_WIDTH = 28

_NAMES = ("MARA JONAS ILSE TOMAS PETRA VIKTOR NADIA OSKAR LENA RUDI GRETA MILO SABINE KARL ANYA FELIX DORA EMIL "
          "HANNA BRUNO ZOFIA LUDO VERA ANTON IRIS PAVEL ROSA THEO MAGDA JULIAN KASIA OTTO").split()
_SURNAMES = ("VOSS BRANDT REIN HALL SOLL OKAFOR LEHN FALK BAUER BEHR KRAMER NOVAK WEISS ADLER HOFFER LINDQVIST "
             "MARKOVIC SZABO DUVAL KOENIG").split()
_ROLES = ("a signal engineer|a night-shift driver|an operations director|a police detective|a conductor|"
          "a retired signalman|a journalist|a security chief|an archivist|a mechanic|a border guard|a nurse|"
          "a hotel porter|a customs officer|a student|a dispatcher|a lawyer|a stationmaster").split("|")
_MINOR = ["CONDUCTOR", "GUARD", "DRIVER", "NURSE", "WAITER", "CLERK", "OFFICER", "PORTER", "RADIO VOICE", "BOY"]
_EXTRAS = ("PASSENGERS|COMMUTERS|SOLDIERS|MOURNERS|DINERS|TRAVELLERS|NURSES|POLICE OFFICERS|DOCK WORKERS|"
           "CHILDREN").split("|")
_COUNTS = ["TWO", "THREE", "A FEW", "A DOZEN", "TWENTY", "THIRTY", "FORTY", "A HUNDRED"]
_SETS = ("SIGNAL BOX|TRAIN - DINING CAR|TRAIN - SLEEPER CAR|TRAIN - DRIVER'S CAB|CENTRAL STATION - PLATFORM 9|"
         "MARA'S FLAT - KITCHEN|POLICE STATION - INTERVIEW ROOM|BORDER CROSSING|HOTEL BRISTOL - LOBBY|"
         "RIVER BRIDGE|RAIL YARD|HOSPITAL - CORRIDOR|CAFE EUROPA|FOREST ROAD|TUNNEL MOUTH|ARCHIVE - STACKS|"
         "CONTROL ROOM|ROOFTOP|TRAM DEPOT|CUSTOMS HALL|SAFE HOUSE - KITCHEN|CATHEDRAL SQUARE|HARBOUR WALL|"
         "VIKTOR'S COTTAGE|NEWSPAPER OFFICE|MOTORWAY SERVICE STATION|CEMETERY|OBSERVATORY").split("|")
_MOVING = ("MARA'S CAR|POLICE CAR|TAXI|DELIVERY VAN").split("|")
_TIMES = ["DAY"] * 8 + ["NIGHT"] * 7 + ["DAWN", "DUSK", "MORNING", "EVENING", "CONTINUOUS", "LATER"]
_SUBJECTS = ("the train|rain|a lamp|the signal|her coat|the suitcase|a ledger|the radio|snow|the crowd|a revolver|"
             "the timetable|steam|the door|his hand|the map|a photograph|the lever|a siren|the dog|smoke|"
             "a black car|the last tram|the wind|a telephone|the old clock").split("|")
_VERBS = ("hammers against|drifts past|flickers over|slides across|rattles|hangs above|spills onto|catches on|"
          "glints beside|waits by|swings toward|sinks into|presses against|crawls along|shudders beneath").split("|")
_OBJECTS = ("the window|the platform|the tracks|the table|the dark carriage|the frozen river|the old map|"
            "the iron gate|the station clock|the empty corridor|the signal lamp|the ticket booth|the wet cobbles|"
            "the barbed wire|the locked drawer|the ceiling|the headlights").split("|")
_PLACES = ["waits by", "stands at", "leans against", "paces beside", "sits near", "stares at", "hovers by"]
_ADVERBS = ["slowly", "without a sound", "for a moment", "again", "at last", "in the half-light", "too fast",
            "like a warning", "once, twice", "and stops"]
_BEATS = ("{a} looks away.|{a} says nothing.|{a} turns to {b}.|{a} crosses to the window.|{a} sits down hard.|"
          "{a} pockets the key.|{a} laughs, not kindly.|{a} checks the time.|{a} and {b} exchange a look.|"
          "{a} lights a cigarette and does not smoke it.|{a} reaches for the phone, then stops.").split("|")
_LINES = ("We don't have much time.|You said the line would close by spring.|Nobody leaves this train until we "
          "know.|I kept the ledger. Every name.|Then we go tonight.|It was never about the money.|Listen to me. "
          "Just once, listen.|The signal changed. I saw it.|Who sent you?|Put the gun down.|The border closes at "
          "six.|I remember the river. I remember all of it.|Don't look back.|You're late.|They know about the "
          "archive.|It's colder than last winter.|Give me the key.|We were children then.|How many passengers?|"
          "Stay with the luggage.|I'm not asking you to believe me.|Then who signed it?|Forty minutes. Maybe "
          "less.|You should have told me.|That's not what the report says.|Keep your voice down.|Where were you "
          "on Friday night?|I'd do it again.|Not here. Not now.|Read it. Then tell me I'm wrong.|Everyone has a "
          "price. Even you.|The dog knows the way.").split("|")
_PARENS = ["(quietly)", "(beat)", "(not looking up)", "(into the radio)", "(smiling)", "(re: the map)",
           "(on the phone)", "(to herself)", "(under her breath)", "(a long pause)"]
_TRANSITIONS = ["CUT TO:", "CUT TO:", "DISSOLVE TO:", "SMASH CUT TO:", "MATCH CUT TO:"]
_FORCED_TRANSITIONS = ["> FADE TO BLACK.", "> SMASH CUT TO:", "> CUT TO BLACK."]
_NOTES = ["check continuity", "music cue here", "VFX: sky replacement", "stunt double", "practical rain",
          "confirm location permit", "SFX: steam from the vents"]
_LYRICS = ["~The lamps are lit, the rails are cold,", "~and every train is going home."]


def _plain(text: str) -> str:
    return text.replace("*", "").replace("_", "")


def _rows(text: str, width: int) -> int:
    """Printed lines of ``text`` word-wrapped at ``width`` characters (emphasis marks do not print)."""
    lines, cur = 0, 0
    for w in _plain(text).split():
        n = len(w)
        while n > width:  # a word longer than the line is cut
            if cur:
                lines, cur = lines + 1, 0
            lines, n = lines + 1, n - width
        if cur and cur + 1 + n > width:
            lines, cur = lines + 1, n
        else:
            cur += (1 if cur else 0) + n
    return max(1, lines + (1 if cur else 0))


class _Pager:
    """Where the next printed line falls, following the paginator's keep and split rules."""

    __slots__ = ("page", "used")

    def __init__(self, page: int = 0, used: int = 0) -> None:
        self.page = page  # 0-based
        self.used = used

    def copy(self) -> _Pager:
        return _Pager(self.page, self.used)

    def _new(self) -> None:
        self.page += 1
        self.used = 0

    def place(self, rows: int, kind: str = "action", keep: int = 0, speech_head: int = 1) -> None:
        """Lay ``rows`` lines of a block; ``keep``: lines of the next block that must come along."""
        blank = 1 if self.used else 0
        room = LINES_PER_PAGE - self.used - blank
        if rows + (1 + keep if keep else 0) <= room:
            self.used += blank + rows
            return
        if kind == "action" and rows > 3 and room >= 2:
            k = min(room, rows - 2)
            if k >= 2:  # split: at least two lines on each page
                self._new()
                self.used = rows - k
                return
        if kind == "speech" and room - 1 >= speech_head + 2 and rows - 1 >= speech_head + 2:
            k = min(room - 1, rows - 1)  # (MORE) here; the rest goes over under the cue and (CONT'D)
            self._new()
            self.used = 1 + rows - k
            return
        if self.used:
            self._new()
        self.used = rows if rows <= LINES_PER_PAGE else rows % LINES_PER_PAGE

    def page_break(self) -> None:
        if self.used:
            self._new()


#: Lines kept free on the last page for the closing transition and THE END.
_ENDING_ROWS = 4


class _Writer:
    """Builds the script element by element, keeping a running page position."""

    def __init__(self, pages: int, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.seed = seed
        self.pages = pages
        self.pager = _Pager()
        self.out: list[str] = []
        n_cast = min(len(_NAMES), 15 + pages // 25)
        self.cast = rng.sample(_NAMES, n_cast)
        self.full = {n: f"{n} {rng.choice(_SURNAMES)}" for n in self.cast}
        self.roles = {n: rng.choice(_ROLES) for n in self.cast}
        self.weights = [1 / (k + 1) ** 1.2 for k in range(n_cast)]  # a few leads, a long tail
        n_sets = max(6, min(len(_SETS), 6 + pages // 12))
        self.sets = rng.sample(_SETS, n_sets)
        self.set_weights = [1 / (k + 1) ** 0.8 for k in range(n_sets)]
        self.introduced: set[str] = set()
        self.last_speaker: str | None = None
        self.action_since_speech = False
        self.fill = rng.randint(25, 48)  # how full the last page gets
        self.full_up = False
        self.scene_no = 0
        self.a_scene = False

    @property
    def done(self) -> bool:
        p = self.pager
        return self.full_up or p.page > self.pages - 1 or (p.page == self.pages - 1 and p.used >= self.fill)

    def fits(self, *blocks: tuple) -> bool:
        """Place ``blocks`` (``Pager.place`` arguments) if they end within the requested pages."""
        trial = self.pager.copy()
        for b in blocks:
            trial.place(*b)
        last = self.pages - 1
        if trial.page > last or (trial.page == last and trial.used > LINES_PER_PAGE - _ENDING_ROWS):
            self.full_up = True
            return False
        self.pager = trial
        return True

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)
        self.out.append("")

    # -- text ------------------------------------------------------------------------------
    def sentence(self) -> str:
        rng = self.rng
        s = f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        if rng.random() < 0.4:
            s += f" {rng.choice(_ADVERBS)}"
        r = rng.random()
        if r < 0.05:
            s = f"*{s}*"
        elif r < 0.07:
            s = f"**{s}**"
        elif r < 0.08:
            s = f"_{s}_"
        return s + "."

    def introduce(self, who: str) -> str:
        """First appearance: the name in capitals with an age, as readers and breakdowns expect."""
        self.introduced.add(who)
        rng = self.rng
        age = rng.choice(["20s", "30s", "30s", "40s", "40s", "50s", "60s", "70s", str(rng.randint(9, 17))])
        where = f"{rng.choice(_PLACES)} {rng.choice(_OBJECTS)}"
        if who in self.full:
            return f"{self.full[who]} ({age}), {self.roles[who]}, {where}."
        article = "An" if who[0] in "AEIOU" else "A"
        return f"{article} {who} ({age}) {where}."

    def action(self, present: list[str], opening: bool = False) -> str:
        rng = self.rng
        parts = [self.introduce(c) for c in present if c not in self.introduced] if opening else []
        if present and rng.random() < 0.45:
            a = rng.choice(present)
            others = [c for c in present if c != a]
            beats = _BEATS if others else [s for s in _BEATS if "{b}" not in s]
            parts.append(rng.choice(beats).format(a=a.capitalize(), b=rng.choice(others or [a]).capitalize()))
        if rng.random() < 0.08:
            parts.append(f"{rng.choice(_COUNTS)} {rng.choice(_EXTRAS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}.")
        parts += [self.sentence() for _ in range(rng.choice([1, 1, 2, 2, 3, 3, 4, 5]) - (len(parts) > 1))]
        text = " ".join(parts)
        if rng.random() < 0.03:
            text += f" [[{rng.choice(_NOTES)}]]"
        return text

    def speech_text(self) -> str:
        return " ".join(self.rng.choice(_LINES) for _ in range(self.rng.choice([1, 1, 1, 2, 2, 3, 4])))

    # -- blocks ----------------------------------------------------------------------------
    def add_action(self, present: list[str]) -> None:
        text = self.action(present)
        if self.fits((_rows(text, ACTION_WIDTH), "action")):
            self.emit(text)
            self.action_since_speech = True

    def add_speech(self, present: list[str]) -> None:
        rng = self.rng
        who = rng.choice(present)
        if who == self.last_speaker and not self.action_since_speech and len(present) > 1:
            who = rng.choice([c for c in present if c != who])  # a reply, not the same voice twice
        ext = ""
        r = rng.random()
        if r < 0.05:
            ext = " (V.O.)"
        elif r < 0.10:
            ext = " (O.S.)"
        elif who == self.last_speaker and self.action_since_speech:
            ext = " (CONT'D)"
        lines = [who + ext]
        rows = head = 1
        if rng.random() < 0.15:
            p = rng.choice(_PARENS)
            lines.append(p)
            rows += _rows(p, PAREN_WIDTH)
            head = rows
        text = self.speech_text()
        lines.append(text)
        rows += _rows(text, DIALOGUE_WIDTH)
        if rng.random() < 0.06:  # a beat in the middle of the speech
            p, more = rng.choice(_PARENS), self.speech_text()
            lines += [p, more]
            rows += _rows(p, PAREN_WIDTH) + _rows(more, DIALOGUE_WIDTH)
        if rng.random() < 0.004:
            lines += _LYRICS
            rows += len(_LYRICS)
        if self.fits((rows, "speech", 0, head)):
            self.emit(*lines)
            self.last_speaker = who
            self.action_since_speech = False

    def add_dual(self, present: list[str]) -> None:
        a, b = self.rng.sample(present, 2)
        la, lb = self.rng.choice(_LINES), self.rng.choice(_LINES)
        if self.fits((1 + max(_rows(la, DUAL_WIDTH), _rows(lb, DUAL_WIDTH)), "dual")):
            self.emit(a, la)
            self.emit(f"{b} ^", lb)
            self.last_speaker = b
            self.action_since_speech = False

    def heading(self) -> tuple[str, list[str]]:
        rng = self.rng
        if self.scene_no and not self.a_scene and rng.random() < 0.03:
            num, self.a_scene = f"{self.scene_no}A", True  # a scene added after numbers were locked
        else:
            self.scene_no += 1
            num, self.a_scene = str(self.scene_no), False
        if rng.random() < 0.05:
            ie, place = "INT./EXT.", f"{rng.choice(_MOVING)} - MOVING"
        else:
            ie = rng.choice(["INT.", "INT.", "INT.", "EXT.", "EXT."])
            place = rng.choices(self.sets, weights=self.set_weights)[0]
        tod = rng.choice(_TIMES) if self.scene_no > 1 else rng.choice(["DAY", "NIGHT", "DAWN"])
        k = rng.choice([1, 1, 2, 2, 2, 3, 3, 4])
        present = list(dict.fromkeys(rng.choices(self.cast, weights=self.weights, k=k)))
        if rng.random() < 0.1:  # a minor speaking part drops in
            present.append(rng.choice(_MINOR))
        return f"{ie} {place} - {tod} #{num}#", present

    def scene(self) -> None:
        rng = self.rng
        text, present = self.heading()
        synopsis = f"= {self.sentence()}" if rng.random() < 0.15 else ""
        introduced = set(self.introduced)
        opening = self.action(present, opening=True)
        n = _rows(opening, ACTION_WIDTH)
        # The heading stays with two lines of the opening action.
        if not self.fits((1, "heading", min(2, n)), (n, "action")):
            self.introduced = introduced  # nobody was introduced after all
            return
        if synopsis:
            self.emit(synopsis)
        self.emit(text)
        self.emit(opening)
        self.last_speaker = None
        size = rng.random()
        budget = rng.randint(8, 28) if size < 0.3 else rng.randint(28, 80) if size < 0.75 else rng.randint(80, 200)
        start = self.pager.page * LINES_PER_PAGE + self.pager.used
        dual_done = False
        while not self.done and self.pager.page * LINES_PER_PAGE + self.pager.used - start < budget:
            r = rng.random()
            if r < 0.38:
                self.add_action(present)
            elif r < 0.972:
                self.add_speech(present)
            elif r < 0.976 and len(present) > 1 and not dual_done:
                self.add_dual(present)
                dual_done = True
            elif r < 0.998:
                self.emit(f"[[{rng.choice(_NOTES)}]]")
            else:  # a cut kept in the boneyard
                self.emit(f"/* {self.action(present)}", rng.choice(present), f"{rng.choice(_LINES)} */")
        if not self.done and rng.random() < 0.1:
            t = rng.choice(_TRANSITIONS) if rng.random() < 0.8 else rng.choice(_FORCED_TRANSITIONS)
            if self.fits((1, "transition")):
                self.emit(t)

    def script(self) -> str:
        rng = self.rng
        title = f"{rng.choice(_SUBJECTS).split()[-1].upper()} {rng.choice(_OBJECTS).split()[-1].upper()}"
        self.emit(f"Title: {title}", "Credit: written by", "Author: studio_kit synthetic",
                  f"Source: synthetic script, seed {self.seed}", "Draft date: 2026-01-01",
                  "Contact:", "    studio_kit", "    scale tests", "Revision: White")
        acts = ["ACT ONE", "ACT TWO", "ACT THREE"]
        act = 0
        self.emit(f"# {acts[0]}")
        while not self.done:
            progress = (self.pager.page + self.pager.used / LINES_PER_PAGE) / self.pages
            if act < 2 and progress >= (0.25, 0.75)[act]:
                act += 1
                # A forced page break between acts, now and then (only where it cannot cost a page).
                if self.pages >= 20 and self.pager.used and self.pager.page < self.pages - 2 and rng.random() < 0.5:
                    self.emit("===")
                    self.pager.page_break()
                self.emit(f"# {acts[act]}")
            elif rng.random() < 0.05:
                self.emit(f"## Sequence {self.scene_no + 1}")
            self.scene()
        self.emit("> FADE OUT.")
        self.emit("> THE END <")
        return "\n".join(self.out)


def synthetic_script(pages: int, seed: int = 0) -> str:
    """Fountain text that prints as ``pages`` US Letter pages (title page not counted)."""
    if pages < 1:
        raise Invalid("pages must be at least 1")
    return _Writer(pages, seed).script()


def write_synthetic(pages: int, path: str | Path, seed: int = 0) -> Path:
    """Write :func:`synthetic_script` to ``path`` (UTF-8) and return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(synthetic_script(pages, seed), encoding="utf-8")
    return p


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 3 or (args and not args[0].isdigit()):
        print("usage: python -m studio_kit.screenplay.synthetic [PAGES] [OUT.fountain] [SEED]", file=sys.stderr)
        return 2
    n = int(args[0]) if args else 120
    dest = args[1] if len(args) > 1 else f"synthetic_{n}.fountain"
    print(write_synthetic(n, dest, seed=int(args[2]) if len(args) > 2 else 0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
