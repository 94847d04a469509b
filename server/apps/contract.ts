// What other capabilities may ask of apps (the protocols listeners' apps speak: Subsonic /
// OpenSubsonic, ListenBrainz). Nothing yet: apps calls the others, nobody calls apps.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AppsApi {}
