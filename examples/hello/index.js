// The smallest nentang plugin: a handler receives a copy of the request and returns a JSON body.
export function hello (request) {
  const name = request.params.name ?? 'thế giới'
  return { message: `Xin chào, ${name}!`, tenant: request.tenant }
}
