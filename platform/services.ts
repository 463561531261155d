import type { Services } from '../core/services.ts'
import type { ActiveInstallation, RoutingTable } from '../registry/routing-table.ts'
import type { Supervisor } from '../sandbox/supervisor.ts'

/** The core's services and the plugin runtime's parts, as the platform's own routes and the plugin gateway see them. */
export interface PlatformServices extends Services {
  readonly plugins: {
    readonly table: RoutingTable
    readonly supervisor: Supervisor
    /** The installation serving `tenant/mount`, from the routing table or built on first use. */
    readonly resolve: (tenant: string, mount: string) => Promise<ActiveInstallation | undefined>
  }
}
