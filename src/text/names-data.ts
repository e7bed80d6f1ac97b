/**
 * Small word lists behind the person-name rules. Compact on purpose: they decide only where a
 * rule may start or must stop, never alone whether something is a name.
 */

function words(list: string): string[] {
  return list.trim().split(/\s+/);
}

/**
 * Common given names across languages. A capitalized word from this list followed by another
 * capitalized word starts a person name ("Elon Musk", "Guy Maor") even where the tagger misses it.
 */
export const GIVEN_NAMES: ReadonlySet<string> = new Set(
  words(`
  Aaron Abdul Abdullah Adam Adriano Afif Ahmed Aisha Akira Alan Alberto Alejandro Aleksandr Alex Alexander
  Alexandre Alexei Ali Alice Alicia Amanda Amir Amit Ana Anders Andrea Andreas Andrei Andrew Andrzej Angela
  Anil Anna Anne Anthony Antoine Anton Antonio Arjun Arthur Ashley Ayşe Barbara Bartek Ben Benjamin Bernard
  Bill Bob Boris Brian Bruce Bruno Carl Carlos Carmen Catherine Cesar César Charles Charlie Chen Chet Chester
  Chris Christian Christina Christine Christoph Christopher Claire Claudia Claus Colin Daniel Daniela Darius
  David Deborah Dennis Derick Diana Diego Dmitri Dmitry Donald Elena Eli Elizabeth Elon Emily Emma Emmanuel
  Enrico Eric Erik Even Evgeniy Evgeny Fatima Felipe Fernando Francesca Francesco Francisco François Frank
  Frans Fred Friedrich Gabriel Gabriela George Georg Gerhard Giovanni Giulia Giuseppe Glen Gloria Grace
  Greg Gregory Guillermo Guus Guy Hannah Hans Harry Hassan Heitor Helen Helge Henrik Henry Hiroshi Hugo
  Hussein Ian Ibrahim Igor Ingrid Irina Isabel Isabella Ivan Jack Jacob Jacques Jakob James Jan Jane Janet
  Jason Javier Jean Jeff Jennifer Jens Jessica Jiang Joachim Joan Joe Joerg Joey Johan Johann Johannes John
  Jonathan Jordi Jorge José Josef Joseph Joshua Juan Judith Jule Julia Julian Julie Justin Jörg Kai Kamala
  Karen Karl Kate Katherine Kenji Kevin Klaus Kumar Lars Laura Laurent Lea Leo Leon Li Lin Linda Lisa
  Liu Lucas Luca Lucia Luis Luka Lula Magnus Mahmoud Manuel Marc Marco Marcus Margaret Maria Marie Mario
  Mark Markus Martin Mary Matt Matthew Matthias Max Maximilian Mehmet Mei Michael Michel Michelle Miguel
  Mikhail Ming Mohamed Mohammed Muhammad Nadia Nancy Natalia Nathan Nicholas Nick Nicolas Nicolás Nikolai
  Nina Nis Noah Olga Oliver Olivia Omar Oscar Pablo Patricia Patrick Paul Paula Pavel Pedro Peter Philip
  Philippe Pierre Pietro Piotr Priya Rachel Rafael Rahul Raj Ramón Rania Raúl Rebecca Ricardo Richard
  Rick Robert Roberto Roger Roland Roman Ronald Roozbeh Rosa Ruben Rubén Ryan Sakura Sam Samuel Sandra
  Sara Sarah Satya Sean Sebastian Sergei Sergey Sergio Simon Sofia Sophie Stefan Stephanie Stephen Steve
  Steven Susan Sven Takeshi Tamás Ted Teresa Thomas Tim Timothy Tobias Tom Tomás Tony Ursula Valentina
  Vanessa Victor Viktor Vincent Vladimir Walter Wang Wei Wichert William Wolfgang Xavier Xu Yang Yonathan
  Youssef Yuki Yuri Yusuf Zhang Zoe`),
);

/** Given names that are also common words: they start a name only inside a sentence ("Even Microsoft agreed"). */
export const COMMON_WORD_NAMES: ReadonlySet<string> = new Set(
  words('Even Mark Guy Max Frank Grace Jack Bill Rosa Lea Leo Kai Jan Li Chen Lin Wang Ming Sam Rick Nick Ben Tim Tom'),
);

/** First words of street and place names that read like given names ("Rue de Rivoli", "Santa Monica"). */
export const PLACE_PREFIXES: ReadonlySet<string> = new Set(
  words(`
  Rue Via Viale Corso Largo Piazza Strada Rua Avenida Avenue Calle Camino Paseo Plaza Praça Place Boulevard
  Chemin Allee Allée Route Santa Santo San São Saint Sainte St Ste Mount Mt Lake Cape Port Fort Ft`),
);

/** Last words of street and place names ("Abbey Road", "Unter den Linden Strasse"). */
export const PLACE_SUFFIXES: ReadonlySet<string> = new Set(
  words(`
  Street St Road Rd Avenue Ave Boulevard Blvd Lane Ln Drive Dr Way Square Place Court Terrace Strasse Straße
  Platz Gasse Weg Allee Park Bridge River Valley Hills Beach Island Islands Bay Heights`),
);

/**
 * All-caps words of technical text that are never organizations, people or places: shell and
 * environment variables, formats, protocols.
 */
export const TECHNICAL_CAPS: ReadonlySet<string> = new Set(
  words(`
  PATH HOME IFS SHELL TERM USER LANG LANGUAGE LOGNAME MAIL MAILPATH MAILCHECK PWD OLDPWD CDPATH EDITOR VISUAL
  PAGER TMPDIR TZ DISPLAY HOSTNAME HOSTTYPE OSTYPE MACHTYPE PS1 PS2 PS3 PS4 UID EUID PPID GID RANDOM SECONDS
  LINENO COLUMNS LINES OPTARG OPTIND OPTERR HISTFILE HISTSIZE HISTCONTROL INPUTRC ENV FCEDIT FIGNORE GLOBIGNORE
  BASH BASHPID BASHOPTS SHLVL SHELLOPTS POSIX POSIXLY ASCII UTF JSON YAML TOML HTML XML CSV TSV PDF URL URI
  HTTP HTTPS FTP SSH SSL TLS TCP UDP DNS API CLI GUI SQL CPU GPU RAM ROM EOF TTY PID OS IO README FAQ TODO
  NEWS COPYRIGHT LICENSE AUTHORS CHANGES INSTALL BUGS NAME SYNOPSIS DESCRIPTION OPTIONS ARGUMENTS EXAMPLES
  FILES ENVIRONMENT DIAGNOSTICS RETURN VALUE SEE ALSO NOTES CAVEATS STDIN STDOUT STDERR NULL NUL EXIT ERROR
  WARNING NOTE TRUE FALSE AND OR NOT GPL LGPL BSD MIT PD WARRANTY MERCHANTABILITY FITNESS`),
);

/** Particles that join the parts of a name ("Lula da Silva", "Ludwig van Beethoven"). */
export const NAME_PARTICLES: ReadonlySet<string> = new Set(
  words('da das de del della der den di do dos du la le van von ter ten bin binti ibn al el y zu'),
);

/**
 * Words that end a name being read: function words, months, weekdays, organization words. A
 * capitalized one of these is never part of a person's name.
 */
export const NAME_STOPS: ReadonlySet<string> = new Set(
  words(`
  the a an this that these those it its we our they their he his she her i you your my in on at for to of
  from by with about into over after before during since until as and but or nor so if when while where
  why how what who which there here then now also however thanks thank please dear hi hello regards
  sincerely cheers best copyright license files comment source format upstream not no yes all any some
  january february march april may june july august september october november december monday tuesday
  wednesday thursday friday saturday sunday inc incorporated corp corporation llc llp ltd limited gmbh plc
  ag co company group holdings foundation university institute association bank trust partners industries
  enterprises technologies labs laboratories agency authority council commission committee society
  federation ministry department college academy museum hospital project team fund systems software
  debian gnu linux ubuntu free public general license see note chapter section part page figure table
  version release changes news model
  call email mail ask contact tell meet thank see ping write invite message text phone ring cc bcc welcome
  congratulate forward send reply notify remind introduce attention attn per via ask`),
);

/** Titles: a name being read stops before one, and a "name" that runs into one is not a name ("French Finance Minister"). */
export const TITLE_WORDS: ReadonlySet<string> = new Set(
  words(`
  minister president governor chancellor senator prince princess premier mayor secretary ceo cfo cto coo
  spokesman spokeswoman spokesperson sheikh emir pope officer executive director chairman chairwoman
  commissioner ambassador professor`),
);
