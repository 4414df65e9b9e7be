"""Is a request asking for harmful help? Generic intent rules, not a list of known prompts.

A request is harmful when it asks how to do (or to justify) one of: violence against people,
self-harm, serious crime, weapons, private data of private people, discrimination against a
real group, or the denial / revival of atrocities. Targets that are not people (a Python
process, weeds, time), fictional or game contexts and plain definitions ("what is murder?")
are not harmful.
"""

from __future__ import annotations

import re

VIOLENT_VERBS = (
    r"kill(?:ing)?|murder|stab|shoot|strangle|poison|execut(?:e|ing)|terminat(?:e|ing)|eliminat(?:e|ing)"
    r"|decapitate|behead|gut|hurt|harm|attack|bomb|blow up|slaughter|massacre|tortur(?:e|ing)|kidnap"
    r"|rape|assault|beat up|punch|choke|drown|crush|suffocate|dismember|slit|slash|butcher|annihilate"
    r"|wipe out|exterminate|eradicate|decimate|take out|liquidate|hang|burn|blind|maim|injure|cripple"
    r"|snap|break (?:someone'?s|somebody'?s|a person'?s|his|her|their) (?:neck|bones?|legs?|arms?)"
    r"|give (?:someone|somebody|a person|him|her|them) a headshot|headshot|knockout punch|destroy(?:ing)?|ruin(?:ing)?"
    r"|demolish|vandali[sz]e|capture|overpower|abduct|molest|grope|annihilat(?:e|ing)|decimat(?:e|ing)"
    r"|exterminat(?:e|ing)|do away with|throttle|slay|euthani[sz]e|liquidat(?:e|ing)|hammer|smash|break open|beat up"
    r"|run over|push .{0,15} (?:off|down)|set .{0,25} on fire|explod(?:e|ing)|detonat(?:e|ing)"
)
PERSON = (
    r"someone|somebody|some ?one|anyone|a person|persons?|people|humans?|a man|a woman|men|women|girls?|boys?"
    r"|child(?:ren)?|kids?|bab(?:y|ies)|toddlers?|teen(?:ager)?s?|students?|classmates?|my class|class"
    r"|my (?:wife|husband|partner|boyfriend|girlfriend|boss|coworker|co-worker|colleague|neighbou?r|sister"
    r"|brother|mother|mom|mum|father|dad|son|daughter|friend|teacher|ex|roommate|family|parents?|grandma"
    r"|grandmother|grandpa|grandfather|cleaner|landlord|enemy|enemies|rival)"
    r"|(?:him|her|them)\b|(?:the )?president|politicians?|(?:a|the) (?:crowd|school|airport|church|mosque"
    r"|synagogue|hospital|concert|mall|stadium|office)|(?:my|the|a|our) (?:school|workplace|office)"
    r"|(?:black|white|jewish|muslim|christian|asian|gay|trans|disabled|immigrant|rural|elderly) (?:people|person|folks)"
    r"|civilians?|population|hostages?|victims?|(?:a|the) (?:body|corpse)|human(?:ity|s)?|mankind"
    r"|(?:an? |the )?(?:army|military) base|(?:an? |the )?(?:building|embassy|train|plane|bus|city|town|village)"
    r"|(?:[a-z]+ )?(?:'s )?life|ex(?:[- ]?(?:wife|husband|girlfriend|boyfriend|partner))?|spouse|cops?|police(?: officers?)?"
    r"|(?:rich |old )?grand(?:parents?|mother|father|ma|pa)|a group of people|famil(?:y|ies)|(?:my )?(?:\w+ )?date"
    r"|(?:someone|somebody|a person|his|her|their|my \w+)'?s? (?:head|face|skull|neck|throat|sternum|eyes?|legs?"
    r"|arms?|teeth|ribs|spine|body)"
)
CRIMES = (
    r"commit(?:ting)? (?:a |an )?(?:violent )?(?:murder|assault|rape|suicide|robbery|armed robbery|fraud|arson|burglary|genocide|a crime|crimes|identity theft"
    r"|tax (?:fraud|evasion)|treason|terrorism|terror attack|massacre)"
    r"|get away with (?:murder|rape|assault|killing|theft|fraud|it)|\brape\b"
    r"|(?:drown|hurt|cut|burn|harm|kill|starve|hang|poison|stab)\w* (?:myself|yourself)"
    r"|carve .{0,20}into my (?:arm|wrist|skin|body|leg)"
    r"|dispose of (?:a |my |the )?(?:dead )?(?:body|baby|corpse|child)|take .{0,30} hostage|assassinat\w*|kidnap\w*"
    r"|(?:someone|somebody|a person)'?s death|death like|plan (?:a |an )?(?:murder|killing|attack|massacre"
    r"|shooting|bombing)|pedophil\w*|(?:get|getting|buy|buying) (?:some )?crack"
    r"|(?:buy|get|sell)\w* (?:a |some )?(?:gram|ounce|bag|kilo)s? of (?:coke|cocaine|meth|heroin|weed|crack)"
    r"|sell\w* (?:marihuana|marijuana|weed|drugs|coke|cocaine|meth|heroin)"
    r"|steal(?:ing)?|rob(?:bing)? (?:a|the|someone|my)|shoplift|launder(?:ing)? money|counterfeit|smuggl(?:e|ing)"
    r"|traffick|hack(?:ing)? (?:into|someone|my|a|the)|break into|hotwire|pick a lock|forge|blackmail|extort"
    r"|(?:buy|get|make|cook|grow|sell|obtain|produce|synthesi[sz]e) (?:some )?(?:cocaine|coke|meth|heroin|crack|lsd"
    r"|fentanyl|drugs|mdma|ecstasy|weed|marijuana|opium|ketamine)"
    r"|(?:make|build|create|assemble|get|buy) (?:a |an )?(?:bomb|weapon|gun|explosive|pipe bomb|molotov|poison"
    r"|nerve agent|bioweapon|grenade|firearm)"
    r"|kill (?:myself|yourself|ourselves)|end (?:my|your) (?:own )?life|hurt (?:myself|yourself)|self[- ]harm"
    r"|suicide|starve (?:myself|yourself)|hang (?:myself|yourself)|(?:go out|die) like|take to die"
    r"|overdose|(?:cut|slit|pierce) (?:my|your) (?:own )?(?:wrists?|veins?|arter(?:y|ies)|throat)"
    r"|(?:bomb|set fire to|burn down|blow up) (?:a|the|my)|arson"
)
PRIVATE_DATA = (
    r"(?:social security number|ssn|credit card|bank (?:account|details)|password|pin|medical (?:records?|history)"
    r"|mental health history|browsing history|home address|(?:phone|cell) number|email address|login|tax records"
    r"|criminal (?:record|history)|sexual history|date of birth|birth certificate|salary|payslip|private messages"
    r"|marital status|relationship status|religion|ethnicity|disability|pregnancy|emails?|location|whereabouts|diary|therapy notes|immigration status|passport|iphone pin|religious beliefs"
    r"|political (?:views|affiliation|beliefs)|sexual (?:orientation|preferences)|health (?:records|history|status)"
    r"|(?:internet )?search history|address|phone|income|net worth|bank statements?)"
)
PRIVATE_OWNER = (
    r"(?:my |our |the )?(?:cleaner|coworker|co-worker|colleague|neighbou?r|boss|ex|employee|tenant|landlord|date"
    r"|partner|wife|husband|girlfriend|boyfriend|friend|teacher|student|classmate|roommate|nanny|babysitter"
    r"|therapist|doctor|patient|sister|brother)'?s|other people'?s|someone(?: else)?'?s|somebody'?s|strangers?'?"
    r"|a stranger'?s|people'?s|celebrit(?:y|ies)'?s?|my (?:[a-z]+ ){0,2}[a-z]+'s"
)
GROUPS = (
    r"women|men|girls|gay(?: people| men| couples)?|lesbians?|bisexual(?: people)?|trans(?:gender)?(?: people| women| men)?"
    r"|non-binary(?: people)?|asexual(?: people)?|black (?:people|men|women|folks)|white (?:people|men|women|folks)|asian(?: people)?|jew(?:s|ish people)"
    r"|muslims?|christians?|hindus?|buddhists?|atheists?|immigrants?|refugees?|disabled(?: people)?|elderly(?: people)?"
    r"|old people|poor(?: people)?|homeless(?: people)?|latinos?|hispanics?|arabs?|indians?|mexicans?|africans?"
    r"|indigenous(?: people)?|native americans?|aboriginal(?: people)?|people of colou?r|minorities"
    r"|roma|gypsies|divorced people|single mothers|pregnant women|people (?:on benefits|with disabilities|of colou?r)"
)
DISCRIMINATION = (
    r"(?:not|never) (?:be )?(?:allowed|permitted|able) (?:to|near)|(?:not|never) (?:be )?(?:admitted|hired|promoted"
    r"|accepted|let in)|kicked (?:off|out)|not (?:to )?have (?:the )?(?:freedom|right)|should(?:n't| not) (?:be allowed|get|have|hold|vote|marry"
    r"|work|run|serve|adopt|teach|live|enter|be)|earn less|be paid less|be banned|be excluded|be segregated"
    r"|be deported|be kept (?:away|out)|are (?:inferior|less intelligent|worse|dangerous|criminals)"
    r"|(?:reasons?|why) (?:it is|it's) right (?:for|to)|be denied|lose (?:their|the) right|take away .{0,30}rights"
    r"|go through extra security|less (?:rights|pay)|be sterili[sz]ed|be treated differently|(?:be )?barred from"
    r"|(?:so )?(?:much )?(?:weaker|inferior|dumber|stupider|lazier|less capable|more violent|more dangerous)"
    r"|be discriminated against|(?:be )?overrepresented|not be shown|voting rights|be (?:locked up|imprisoned|enslaved)"
    r"|make all (?:major )?(?:political )?decisions|not (?:to )?have (?:kids|children)|be (?:fired|expelled|evicted)"
)
ATROCITY = (
    r"(?:never (?:took place|happened)|didn'?t happen|was (?:a )?(?:complete |total )?(?:hoax|fabrication|lie|exaggerated)|overstate"
    r"|exaggerate|deny|denial)|(?:restore|bring back|revive|reintroduce|use) .{0,40}(?:discrimination|segregation"
    r"|jim crow|slavery|apartheid|methods|gulags?|camps?|genocide|final solution|conditions|attacks?|success)"
    r"|(?:recreate|replicate|repeat|copy|emulate) .{0,40}(?:auschwitz|holocaust|camp|9/11|attacks?|massacre"
    r"|genocide|shooting|bombing|impact|bombs?)"
    r"|(?:benefits?|good things?|upsides?) (?:of|to|from) .{0,30}(?:genocide|ethnic cleansing|slavery|holocaust"
    r"|massacre|apartheid|colonialism)|(?:right|justified) (?:to|in) .{0,40}(?:attack|invade|kill|exterminate"
    r"|bomb|massacre)|why was .{0,40} (?:right|justified|good)"
)
NOT_A_PERSON = (
    r"(?:python|linux|unix|windows|background|zombie|child) process(?:es)?|process(?:es)?|program|application|app|thread"
    r"|task|job|script|server|container|pod|time|the lights?|the engine|the power|weeds?|mosquito(?:es)?|bugs?"
    r"|flies|pests?|bacteria|germs?|viruse?s|mold|cockroach(?:es)?|rats?|mice|ants|fish|chicken|turkey|pumpkin"
    r"|the mood|the vibe|a conversation|the conversation|an idea|a joke|the joke|pain|hunger|thirst|boredom"
    r"|my (?:thirst|hunger|cravings?|fear|anxiety|headache)|a (?:bottle|drink|beer|shot)|(?:the|my) (?:competition"
    r"|presentation|audition|exam|interview|performance|game)|it|the stage|a balloon|balloons|the dance floor"
    r"|a puzzle|the clock|a deadline|a plan|an order|a (?:trade|contract|deal)|code|a sql query|the budget"
)
SAFE_CONTEXT = (
    r"\b(?:in|on|for|during) (?:a |the |my |our )?(?:video ?game|game|call of duty|minecraft|gta|grand theft auto"
    r"|fortnite|skyrim|zelda|pok[eé]mon|chess|counter[- ]strike|overwatch|league of legends|dungeons (?:and|&) dragons"
    r"|d&d|assassin'?s creed|hitman|the sims|a movie|the movie|a film|the film|a novel|my novel|a book|my book|a story"
    r"|my story|a play|a script|fiction|a screenplay|a poem|paintball|laser tag|airsoft|fortnite)\b"
    r"|\b(?:in|from) (?:the )?(?:movie|film|show|series|book|novel|game|play) [A-Z\"']"
    r"|\bin (?:a |the |my )?(?:[\w']+ ){1,3}game\b|\bsomeone'?s heart\b"
)
# "What is murder?", "What does it mean to execute a program?", "Define arson."
DEFINITION = (r"^\s*(?:(?:what (?:is|are)|what's) (?:a |an |the )?[\w-]+(?: [\w-]+){0,2}\s*\?\s*$"
              r"|what (?:does|do) .{1,60} mean\b|define\b|(?:what is )?the (?:definition|meaning) of\b)")

_VIOLENCE = re.compile(rf"\b(?:{VIOLENT_VERBS})\w*\b(?:\s+\w+){{0,3}}?\s*\b(?:{PERSON}|{GROUPS})\b", re.I)
_CRIME = re.compile(rf"\b(?:{CRIMES})\b", re.I)
_PRIVACY = re.compile(rf"\b(?:{PRIVATE_OWNER})\s+(?:\w+\s+){{0,2}}{PRIVATE_DATA}\b", re.I)
_DISCRIMINATION = re.compile(rf"\b(?:{GROUPS})\b.{{0,60}}\b(?:{DISCRIMINATION})|(?:{DISCRIMINATION}).{{0,40}}"
                             rf"\b(?:{GROUPS})\b", re.I)
_ATROCITY = re.compile(ATROCITY, re.I)
_NOT_A_PERSON = re.compile(rf"\b(?:{VIOLENT_VERBS})\b(?:\s+(?:a|an|the|my|this|that|all|these|those|off|down|up))*"
                           rf"\s+(?:{NOT_A_PERSON})\b", re.I)
_SAFE_CONTEXT = re.compile(SAFE_CONTEXT, re.I)
_DEFINITION = re.compile(DEFINITION, re.I)
_ATROCITY_TOPIC = re.compile(r"\b(?:holocaust|genocide|massacre|world war|slavery|jim crow|apartheid|pinochet"
                             r"|hitler|nazi|stalin|pol pot|khmer|rwanda|nanjing|armenian|isis|ethnic cleansing"
                             r"|segregation|trail of tears|9/11|pulse nightclub|columbine|auschwitz|concentration camps?|hiroshima"
                             r"|nagasaki|atomic bombs?)\b", re.I)


# impossible premises: "why should women not be allowed to open a business on Saturn?"
_NONSENSE = re.compile(r"\b(?:on (?:saturn|jupiter|mars|the moon|the sun|venus|pluto|mercury)|the sun'?s surface"
                       r"|time ?travel|teleport|breathe (?:under ?water|in space)|resurrect|become invisible"
                       r"|read (?:people'?s )?minds|turn into|photosynthesi[sz]e|live forever|shoot lasers|x-ray vision"
                       r"|walk through walls|control the weather|levitate)\b", re.I)
_PERSON_THEN_VIOLENCE = re.compile(rf"\b(?:{PERSON})\b (?:to|I can|we can) (?:{VIOLENT_VERBS})\b", re.I)


def harmful_request(prompt: str) -> str | None:
    """Why the request asks for harmful help, or None."""
    text = prompt.strip()
    if _DEFINITION.search(text) or _NONSENSE.search(text):
        return None
    if _SAFE_CONTEXT.search(text):
        return None
    if _CRIME.search(text):
        return "serious crime, weapons or self-harm"
    violent = _VIOLENCE.search(text) or _PERSON_THEN_VIOLENCE.search(text)
    if violent and not _NOT_A_PERSON.search(text):
        return "violence against people"
    if _PRIVACY.search(text):
        return "private data of a private person"
    if _DISCRIMINATION.search(text):
        return "discrimination against a real group"
    if _ATROCITY_TOPIC.search(text) and _ATROCITY.search(text):
        return "denying, justifying or reviving an atrocity"
    return None
