"""Consent of a voice's owner: a statement read aloud with a fresh challenge, verified twice.

The owner reads a fixed statement (in the spirit of the voice talent statements used in
industry: they know their recordings make a synthetic voice, and may withdraw) followed by
a challenge phrase drawn at random when the consent is started.  The recording must be

* spoken by the enrolled person: its speaker embedding against the voice's centroid
  (:func:`yinse.registry.speaker.verify_speaker`), and
* saying this statement with this challenge: the recording is aligned with the base voice
  saying it; the part that falls on the statement must align better with the statement
  than with other sentences, and the part that falls on the challenge better with the
  challenge than with other challenges (:func:`yinse.enroll.align.text_match`).

A recording of an old consent, played again, says an old challenge.  The voice's earlier
phrases are among the decoys, so it is scored against the very text it says; a new
challenge shares no word with the voice's recent ones; and a voice gets a limited number
of challenges a day, so an old recording cannot be tried until some challenge happens to
sound like it.

An operator may instead attest a consent (a signed licence with a voice talent, say): it is
stored as such, with lower trust, and every report shows it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ..core.audio import resample
from ..core.errors import ConsentError, InputError
from ..core.hashing import file_sha256
from ..registry.speaker import EMBEDDING_VERSION, verify_speaker
from ..voices.timbre import cepstral_stats, world_features
from .align import align, text_match
from .build import BASE_VOICES

STATEMENTS = {
    "zh": "本人知道并同意，音色将用我的声音录音制作并使用我的声音的人工合成版本，"
    "我可以随时撤回这项同意。验证短语：",
    "en": "I am aware that recordings of my voice will be used by Yinse to create and use a "
    "synthetic version of my voice, and that I can withdraw this consent at any time. "
    "My verification phrase is:",
}
#: Challenge words: common, concrete, easy to read, distinct in sound.  A few hundred, so
#: that a voice's new challenge can share no word with its recent ones.
WORDS = {
    "zh": "苹果 月亮 火车 森林 眼镜 钢琴 书包 雨伞 飞机 蝴蝶 面包 熊猫 灯笼 沙发 窗户 "
    "铅笔 老虎 手表 草莓 邮票 星星 报纸 冰箱 桥梁 海鸥 轮船 茶杯 葡萄 帽子 楼梯 "
    "牛奶 风筝 花园 电梯 镜子 橘子 枕头 钥匙 筷子 气球 西瓜 袜子 狮子 贝壳 骆驼 "
    "蜡烛 信封 梳子 鸽子 剪刀 太阳 白云 大海 沙滩 石头 树叶 花朵 小鸟 金鱼 兔子 "
    "老鼠 松鼠 孔雀 企鹅 大象 斑马 海豚 乌龟 青蛙 蜜蜂 蚂蚁 蜻蜓 燕子 鹦鹉 土豆 "
    "番茄 黄瓜 南瓜 白菜 萝卜 玉米 香蕉 菠萝 柠檬 芒果 樱桃 米饭 面条 鸡蛋 蛋糕 "
    "饼干 糖果 咖啡 果汁 书桌 椅子 台灯 电视 电脑 手机 相机 雨衣 毛巾 牙刷 肥皂 "
    "水壶 花瓶 地图 课本 橡皮 书架 日历 门铃 篮球 足球 积木 口琴 吉他 帐篷 火箭 "
    "汽车 地铁 马车 小船 码头 灯塔 山谷 瀑布 河流 湖泊 草原 沙漠 冰山 雪人 彩虹 "
    "闪电 月饼 围巾 手套 衬衫 纽扣 口袋 钱包 戒指 项链 饭碗 台阶 公鸡 山羊 鲸鱼 "
    "螃蟹 海星 珍珠 宝石 金币 风车 蜗牛".split(),
    "en": "apple river garden window orange pencil tiger silver candle basket dolphin "
    "ladder rocket violin jacket pepper blanket camera lemon castle mirror saddle "
    "tomato wallet anchor bottle carpet feather hammer island kettle lantern marble "
    "needle parrot rabbit salmon tunnel velvet walnut yellow zebra bicycle butter "
    "forest helmet kitten magnet pillow puzzle acorn airplane almond arrow avocado "
    "badge balloon banana barrel beacon bucket button cabbage cactus camel canoe carrot "
    "cherry chimney coconut compass cookie copper cotton cricket crystal cushion daisy "
    "desert diamond donkey dragon eagle engine falcon fountain giraffe glacier guitar "
    "harbor hedgehog honey igloo jelly jigsaw kayak koala ladle lettuce lobster locket "
    "mango meadow melon monkey muffin mushroom napkin noodle ocean octopus olive onion "
    "paddle panda peacock peanut pebble penguin piano pickle pirate planet pocket "
    "potato pumpkin quilt radish raisin robin saucer scarf shovel spider sponge "
    "squirrel statue sugar sunset teapot thimble thunder tulip turtle umbrella valley "
    "wagon whistle wizard yogurt".split(),
}
#: Six words, not four: the genuine phrase scores rise while a replay's stay put
#: (docs/BENCHMARKS.md, consent text check); reading them costs the owner about a second.
CHALLENGE_WORDS = 6
DECOY_CHALLENGES = 12
DECOY_SENTENCES = 6
#: The voice's own earlier phrases (newest first) are decoys too, so a consent recording
#: played again is scored against the very text it says.
OLD_PHRASE_DECOYS = 8
#: A new challenge shares no word with this many of the voice's latest ones.
FRESH_OVER = 20
#: Recorded consent attempts per voice per day: each challenge is one try, and an old
#: recording that may pass a strange challenge by chance must not get unlimited tries.
CHALLENGES_PER_DAY = 10
#: Both text checks must place the right text this many spreads below the others
#: (calibrated by benchmarks/bench_consent.py, docs/BENCHMARKS.md).
TEXT_THRESHOLD = 3.0


def _enrolled(registry, voice_name: str):
    voice = registry.get_voice(voice_name)
    if voice is None:
        raise ConsentError(f"there is no enrolled voice called '{voice_name}'; enroll it first")
    return voice


def new_phrase(language: str, rng: random.Random | None = None, avoid=frozenset()) -> str:
    """CHALLENGE_WORDS random words, none of them in ``avoid`` while enough others remain."""
    rng = rng or random.SystemRandom()
    pool = [w for w in WORDS[language] if w not in avoid]
    pool = pool if len(pool) >= CHALLENGE_WORDS else WORDS[language]
    return joined_words(language, rng.sample(pool, CHALLENGE_WORDS))


def joined_words(language: str, words: Sequence[str]) -> str:
    """Challenge words as the owner reads them: a comma between, a full stop after."""
    return "，".join(words) + "。" if language == "zh" else ", ".join(words) + "."


def phrase_words(phrase: str) -> list[str]:
    """The words of a phrase made by :func:`joined_words`."""
    return [w.strip() for w in phrase.rstrip("。.").replace("，", ",").split(",") if w.strip()]


def statement_with(language: str, phrase: str) -> str:
    return f"{STATEMENTS[language]}{'' if language == 'zh' else ' '}{phrase}"


def start_consent(voice_name: str, *, registry=None, now: datetime | None = None):
    """Issue a fresh challenge for the voice; returns the registry's Challenge.

    Refused once the voice has had CHALLENGES_PER_DAY challenges in the last 24 hours; the
    phrase takes no word of the voice's FRESH_OVER latest challenges."""
    from datetime import UTC, timedelta

    from ..registry import Registry

    registry = registry or Registry()
    voice = _enrolled(registry, voice_name)
    now = now or datetime.now(UTC)
    earlier = registry.challenges_for(voice_name)
    today = [c for c in earlier if c.created_at > now - timedelta(days=1)]
    if len(today) >= CHALLENGES_PER_DAY:
        again = min(c.created_at for c in today) + timedelta(days=1)
        raise ConsentError(
            f"{len(today)} consent challenges were issued for '{voice_name}' in the last 24 "
            f"hours, the most allowed; try again after {again:%Y-%m-%d %H:%M} UTC, or have an "
            "operator attest the consent (--attested-by)"
        )
    avoid = {w for c in earlier[:FRESH_OVER] for w in phrase_words(c.phrase)}
    phrase = new_phrase(voice.language, avoid=avoid)
    return registry.issue_challenge(
        voice_name=voice_name, statement=statement_with(voice.language, phrase), phrase=phrase,
        now=now,
    )  # fmt: skip


@dataclass(frozen=True)
class ConsentCheck:
    speaker_score: float
    speaker_threshold: float
    statement_score: float
    phrase_score: float
    text_threshold: float

    @property
    def text_score(self) -> float:
        return min(self.statement_score, self.phrase_score)

    @property
    def speaker_ok(self) -> bool:
        return self.speaker_score >= self.speaker_threshold

    @property
    def text_ok(self) -> bool:
        return self.text_score >= self.text_threshold


def check_consent_recording(
    audio: np.ndarray,
    sr: int,
    *,
    language: str,
    phrase: str,
    centroid: np.ndarray,
    old_phrases: Sequence[str] = (),
    embedding_version: int = EMBEDDING_VERSION,
) -> ConsentCheck:
    """Both checks on one recording, without touching the registry (calibration uses this).

    ``old_phrases``: the voice's earlier challenge phrases, scored as decoys beside the
    random ones (the first OLD_PHRASE_DECOYS that differ from ``phrase``);
    ``embedding_version``: how ``centroid`` was made (:attr:`~yinse.registry.voices.VoiceRecord.embedding_version`)."""
    from ..voices import get_voice

    speaker = verify_speaker(audio, sr=sr, enrolled_centroid=centroid, version=embedding_version)
    base = get_voice(BASE_VOICES[language])
    prefix, base_sr = base.speak(STATEMENTS[language])
    said_phrase, _ = base.speak(phrase)
    rng = random.Random(phrase)
    decoy_phrases = set()
    while len(decoy_phrases) < DECOY_CHALLENGES:
        candidate = new_phrase(language, rng)
        if candidate != phrase:
            decoy_phrases.add(candidate)
    old = [p for p in dict.fromkeys(old_phrases) if p != phrase and p not in decoy_phrases]
    decoys = sorted(decoy_phrases) + old[:OLD_PHRASE_DECOYS]
    from .script import script_lines

    lines = [line.text for line in script_lines(language)]
    sentences = rng.sample(lines, DECOY_SENTENCES)

    # The text check reads envelopes only, so no aperiodicity is measured.
    def envelope(clip: np.ndarray):
        return world_features(clip, base_sr, aperiodicity=False)

    rec = envelope(resample(audio, sr, base_sr).astype(np.float32))
    f_prefix, f_phrase = envelope(prefix), envelope(said_phrase)
    f_decoy_phrases = [envelope(base.speak(p)[0]) for p in decoys]
    f_sentences = [envelope(base.speak(s)[0]) for s in sentences]
    base_stats = cepstral_stats([f_prefix.coded_sp, f_phrase.coded_sp])
    rec_stats = cepstral_stats([rec.coded_sp])
    # Where the challenge starts in the recording: align with statement + challenge.
    whole = np.concatenate([f_prefix.coded_sp, f_phrase.coded_sp])
    path = align(whole, rec.coded_sp, base_stats=base_stats, target_stats=rec_stats)
    boundary_s = path.target_time_s(len(f_prefix.f0) * 0.005)
    cut = int(boundary_s / 0.005)
    head, tail = rec.coded_sp[: max(cut, 1)], rec.coded_sp[max(cut - 20, 0) :]
    statement = text_match(head, rec_stats, f_prefix.coded_sp, [f.coded_sp for f in f_sentences], base_stats)
    challenge = text_match(tail, rec_stats, f_phrase.coded_sp, [f.coded_sp for f in f_decoy_phrases], base_stats)
    return ConsentCheck(
        speaker_score=speaker.score, speaker_threshold=speaker.threshold,
        statement_score=statement.score, phrase_score=challenge.score,
        text_threshold=TEXT_THRESHOLD,
    )  # fmt: skip


MIC_SR = 16000
MIC_MAX_S = 60.0


def check_microphone() -> None:
    """Refuse before a challenge is issued when there is nothing to record with."""
    try:
        import sounddevice as sd

        sd.check_input_settings(samplerate=MIC_SR, channels=1)
    except Exception as error:  # no PortAudio library, or no input device
        raise InputError(
            f"cannot record from a microphone here ({str(error).splitlines()[0]}); record the "
            "statement with any recorder and pass it with --audio and --challenge"
        ) from None


def record_from_microphone(*, wait, folder: Path | None = None) -> Path:
    """Record from the default input device between two calls of ``wait`` (the CLI waits
    for Enter); the recording is written as a WAV in the data folder and its path returned,
    so the stored consent's hash refers to a file that exists."""
    import sounddevice as sd
    import soundfile as sf

    from ..core.atomic import temp_beside
    from ..core.paths import data_home

    check_microphone()
    wait()
    take = sd.rec(int(MIC_MAX_S * MIC_SR), samplerate=MIC_SR, channels=1, dtype="float32")
    started = time.monotonic()
    wait()
    sd.stop()
    audio = take[: int((time.monotonic() - started) * MIC_SR), 0]
    folder = folder or data_home() / "consents"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"consent-{time.strftime('%Y%m%dT%H%M%S')}.wav"
    with temp_beside(out) as tmp:
        sf.write(tmp, audio, MIC_SR, format="WAV")
        os.replace(tmp, out)
    return out


def record_consent(
    voice_name: str,
    *,
    audio_path: Path,
    challenge_id: str,
    scopes: str | list[str] = ("sing", "speak", "convert"),
    commercial_use: bool = False,
    expires_at: datetime | None = None,
    registry=None,
):
    """Verify a recorded consent and store it; raises ConsentError saying which check failed."""
    from ..registry import Registry
    from .recordings import decode_audio

    registry = registry or Registry()
    voice = _enrolled(registry, voice_name)
    challenge = registry.get_challenge(challenge_id)
    if challenge is None:
        raise ConsentError(
            f"there is no consent challenge '{challenge_id}'; start one with "
            f"'yinse voice consent {voice_name}'"
        )
    _check_challenge(challenge, voice_name)
    path = Path(audio_path)
    if not path.is_file():
        raise InputError(f"'{path}' is not a file; give the consent recording")
    audio, sr = decode_audio(path)
    old_phrases = [c.phrase for c in registry.challenges_for(voice_name) if c.id != challenge.id]
    check = check_consent_recording(
        audio, sr, language=voice.language, phrase=challenge.phrase,
        centroid=np.asarray(voice.embedding, np.float32), old_phrases=old_phrases,
        embedding_version=voice.embedding_version,
    )  # fmt: skip
    if not check.speaker_ok:
        raise ConsentError(
            f"the consent recording is not spoken by the enrolled person of '{voice_name}' "
            f"(speaker similarity {check.speaker_score:.2f} < {check.speaker_threshold:.2f}); "
            "the owner must record it themselves, in the room and with the microphone of the "
            "enrollment recordings (another room or a phone lowers the similarity by 0.2–0.3), "
            "or an operator can attest the consent with --attested-by"
        )
    if not check.text_ok:
        which = "the statement" if check.statement_score < check.text_threshold else "this challenge phrase"
        raise ConsentError(
            f"the consent recording does not say {which} (text match {check.text_score:.1f} < "
            f"{check.text_threshold:.1f}); read the statement with the phrase "
            f"'{challenge.phrase}' shown for challenge {challenge_id}, or start a new one"
        )
    return registry.add_consent(
        voice_name=voice_name, kind="recorded", statement=challenge.statement, scopes=scopes,
        commercial_use=commercial_use, expires_at=expires_at, challenge_id=challenge_id,
        recording_sha256=file_sha256(path),
        speaker_score=check.speaker_score, speaker_threshold=check.speaker_threshold,
        text_score=check.text_score, text_threshold=check.text_threshold,
    )  # fmt: skip


def _check_challenge(challenge, voice_name: str) -> None:
    """Refuse a spent, expired or foreign challenge before the recording is analysed (the
    registry checks again when it stores the consent)."""
    from datetime import UTC, datetime

    if challenge.voice_name != voice_name:
        raise ConsentError(
            f"challenge {challenge.id} was issued for the voice '{challenge.voice_name}', not "
            f"'{voice_name}'; start a consent for this voice"
        )
    if challenge.used_at is not None:
        raise ConsentError(
            f"challenge {challenge.id} was already used; a challenge reads once — start a new one "
            f"with 'yinse voice consent {voice_name}'"
        )
    if challenge.expires_at <= datetime.now(UTC):
        raise ConsentError(
            f"challenge {challenge.id} expired at {challenge.expires_at:%Y-%m-%d %H:%M} UTC; start a "
            f"new one with 'yinse voice consent {voice_name}'"
        )


def attest_consent(
    voice_name: str,
    *,
    attested_by: str,
    scopes: str | list[str],
    commercial_use: bool = False,
    expires_at: datetime | None = None,
    document: Path | None = None,
    registry=None,
):
    """An operator's attestation (lower trust than a recorded consent; reports say so)."""
    from ..registry import Registry

    registry = registry or Registry()
    _enrolled(registry, voice_name)  # refuse an unknown voice before reading the document
    doc_name = doc_hash = None
    if document is not None:
        document = Path(document)
        if not document.is_file():
            raise InputError(f"--document '{document}' is not a file")
        doc_name, doc_hash = document.name, file_sha256(document)
    statement = f"Consent attested by {attested_by} for the voice '{voice_name}'."
    return registry.add_consent(
        voice_name=voice_name, kind="attested", statement=statement, scopes=scopes,
        commercial_use=commercial_use, expires_at=expires_at, attested_by=attested_by,
        document_name=doc_name, document_sha256=doc_hash,
    )  # fmt: skip


