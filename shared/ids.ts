// Row ids are uuids. Anything else names nothing, and is answered as such before it reaches
// a query (where the uuid cast would fail) or a path on disk.
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (id: string): boolean => uuid.test(id);
