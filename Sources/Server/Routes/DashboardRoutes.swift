import Hummingbird
import NightdeskSupport

/// `/`: the live dashboard (one page, served from the binary, nothing fetched from
/// elsewhere), and `/dashboard/state`, the JSON it polls every two seconds. With API
/// keys the page asks for one and shows that desk only.
struct DashboardRoutes {
  let store: ServerStore
  let access: AccessPolicy

  func add(to router: Router<BasicRequestContext>) {
    router.get("/") { _, _ in
      Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
               body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html)))
    }
    router.get("/dashboard/state") { request, _ in
      let desk = try access.desk(of: request)
      let scope: String?
      if case .openOnLoopback = access { scope = nil } else { scope = desk }
      return JSONResponse.make(try await store.perform { try DashboardState.read($0, desk: scope) })
    }
  }
}
